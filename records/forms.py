"""The subject-access form: why the export is made, from a fixed list (audited)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from records.services.subject_access import PURPOSES


class SubjectAccessForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Why are you producing this copy?"),
        choices=PURPOSES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why you are producing the copy.")},
        help_text=_("This goes into the audit log with your name, and the person will see it."),
    )
