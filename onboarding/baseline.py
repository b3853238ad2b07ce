"""The "About you" rules that need no database: the Heaviness of Smoking Index, and the
medicines and kinds of support a patient can choose from."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Heaviness of Smoking Index (Heatherton et al. 1989): minutes to the first cigarette of the
# day (cessation.models.TimeToFirst values) and cigarettes a day, each scored 0 to 3.
_TIME_TO_FIRST_SCORE = {"5": 3, "30": 2, "60": 1, "61": 0}


def hsi_score(*, per_day: int, time_to_first: str) -> int:
    """0 to 6; 5 or 6 is heavy dependence (a higher dose of nicotine replacement helps)."""
    if per_day <= 10:
        per_day_score = 0
    elif per_day <= 20:
        per_day_score = 1
    elif per_day <= 30:
        per_day_score = 2
    else:
        per_day_score = 3
    return per_day_score + _TIME_TO_FIRST_SCORE[time_to_first]


def hsi_band(score: int) -> str:
    if score >= 5:
        return str(_("high"))
    if score >= 3:
        return str(_("medium"))
    return str(_("low"))


# Medicines whose blood levels change when someone stops smoking (tobacco smoke speeds up the
# liver enzyme CYP1A2), and the name the medication list records for each.
MEDICINES = (
    ("clozapine", _("Clozapine (Clozaril, Denzapine, Zaponex)"), "Clozapine"),
    ("olanzapine", _("Olanzapine (Zyprexa)"), "Olanzapine"),
    ("other_antipsychotic", _("Another antipsychotic"), ""),
    ("antidepressant", _("An antidepressant"), ""),
    ("mood_stabiliser", _("A mood stabiliser, like lithium"), ""),
    ("none", _("None of these"), ""),
    ("not_sure", _("I am not sure"), ""),
)
MEDICINE_CHOICES = [(key, label) for key, label, _name in MEDICINES]
MEDICINE_RECORD_NAMES = {key: name for key, _label, name in MEDICINES if name}
EXCLUSIVE_MEDICINES = frozenset({"none", "not_sure"})

SUPPORT = (
    ("group", _("Talking with others in a peer group")),
    ("peer", _("Messages with a peer support specialist")),
    ("reminders", _("Daily reminders to check in")),
    ("medicines", _("Stop-smoking medicines or nicotine replacement")),
    ("craving_help", _("Help in the moment when a craving hits")),
    ("family", _("Information for family or friends")),
)
SUPPORT_CHOICES = list(SUPPORT)

LOW_MOOD_AT_OR_BELOW = 2  # as the daily check-in: the page then shows where help is
