"""Stratification factors a trial may randomise within, and how each participant's level is
found. A trial lists the keys it uses (Trial.strata_factors); the stratum of a participant is the
levels of those factors joined in that order, e.g. "psychosis|11-20".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from typing import Any

from django.utils.translation import gettext_lazy as _

from onboarding.models import Baseline


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    levels: tuple[tuple[str, str], ...]  # (code, label)
    level_of: Callable[[Any, Baseline | None], str]
    definition: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _label in self.levels)


def _diagnosis(participant, baseline: Baseline | None) -> str:
    return participant.diagnosis_group


def per_day_band(per_day: int | None) -> str:
    if per_day is None or per_day <= 10:
        return "0-10"
    if per_day <= 20:
        return "11-20"
    return "21+"


def hsi_band(score: int | None) -> str:
    if score is None or score <= 1:
        return "low"
    if score <= 4:
        return "moderate"
    return "high"


FACTORS: dict[str, Factor] = {
    factor.key: factor
    for factor in (
        Factor(
            "diagnosis_group",
            _("Diagnosis group"),
            (
                ("psychosis", _("Schizophrenia or other psychosis")),
                ("bipolar", _("Bipolar disorder")),
                ("depression", _("Depression or anxiety")),
                ("other", _("Other")),
            ),
            _diagnosis,
            _("Recorded by the clinician who enrols the participant."),
        ),
        Factor(
            "per_day_band",
            _("Cigarettes per day"),
            (("0-10", _("10 or fewer")), ("11-20", _("11 to 20")), ("21+", _("21 or more"))),
            lambda participant, baseline: per_day_band(baseline.per_day if baseline else None),
            _("From the baseline questionnaire (About you): cigarettes smoked on a usual day."),
        ),
        Factor(
            "hsi_band",
            _("Heaviness of Smoking Index"),
            (("low", _("Low (0-1)")), ("moderate", _("Moderate (2-4)")), ("high", _("High (5-6)"))),
            lambda participant, baseline: hsi_band(baseline.hsi_score if baseline else None),
            _("From the baseline questionnaire: cigarettes per day and time to first cigarette."),
        ),
    )
}


def strata_of(factor_keys: list[str]) -> list[str]:
    """Every stratum of a trial stratified by these factors, in a fixed order."""
    if not factor_keys:
        return ["all"]
    return ["|".join(levels) for levels in product(*(FACTORS[key].codes for key in factor_keys))]


def stratum_for(factor_keys: list[str], participant, baseline: Baseline | None) -> str:
    if not factor_keys:
        return "all"
    return "|".join(FACTORS[key].level_of(participant, baseline) for key in factor_keys)
