"""What every page's frame needs from the trial: whether the patient's menu offers only their
study and safety plan (an arm without the programme). Cached: no query after the first page."""

from __future__ import annotations

from django.http import HttpRequest

from trials.gate import study_only as _study_only


def study_only(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_patient:
        return {}
    if request.path.startswith("/help/"):
        return {}  # the crisis page asks nothing of anything it can do without
    return {"study_only": _study_only(user)}
