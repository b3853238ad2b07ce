"""Recording an export: only admins export, always with a reason from a fixed list (no free
text reaches the audit log), and the audit row is written before the first byte is sent."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent
from core.services import audit_record
from trials import permissions
from trials.models import Trial

EXPORTED = "trial.exported"

PURPOSES = (
    ("statistician_check", _("The statistician checks the data")),
    ("data_quality", _("Data quality check by the trial team")),
    ("dmc_report", _("Report to the data monitoring committee")),
    ("interim_analysis", _("Interim analysis in the protocol")),
    ("final_analysis", _("Final analysis")),
    ("audit", _("Audit or inspection by the sponsor or regulator")),
)
PURPOSE_CODES = frozenset(code for code, _label in PURPOSES)

FORMATS = ("csv", "json", "both", "zip", "dictionary", "md")


def purpose_label(code: str) -> str:
    return str(dict(PURPOSES).get(code, code))


@transaction.atomic
def export_record(
    *,
    trial: Trial,
    by,
    what: str,
    fmt: str,
    purpose: str,
    via: str = "page",
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Write to the audit log that `by` exports `what` (a dataset key, "dictionary", "readme"
    or "all") of the trial as `fmt`, and why. Refused for anyone but an admin."""
    if not permissions.can_export(by):
        raise PermissionDenied("Only trial managers (admins) export trial data.")
    if purpose not in PURPOSE_CODES:
        raise ValidationError({"purpose": _("Choose why you are exporting the data.")})
    if fmt not in FORMATS:
        raise ValidationError({"format": _("Unknown format.")})
    return audit_record(
        actor=by,
        action=EXPORTED,
        target=trial,
        detail={"dataset": what, "format": fmt, "purpose": purpose, "via": via},
        request=request,
    )
