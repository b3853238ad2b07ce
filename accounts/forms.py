"""Forms of accounts: inviting, accepting an invitation, API tokens."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.utils import timezone

from accounts import selectors
from accounts.models import Role, User


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.full_name


class PatientInvitationForm(forms.Form):
    full_name = forms.CharField(label="Patient's full name", max_length=150)
    email = forms.EmailField(
        label="Patient's email address",
        help_text="The invitation link goes here. It works once and expires.",
    )
    discharged_on = forms.DateField(
        label="Date of discharge",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Leave empty if not discharged yet.",
    )
    clinician = _StaffChoice(label="Named clinician", queryset=User.objects.none())
    backup_clinician = _StaffChoice(
        label="Backup clinician",
        queryset=User.objects.none(),
        required=False,
        help_text="Gets safety alerts when the named clinician does not respond in time.",
    )
    peer_specialist = _StaffChoice(
        label="Peer support specialist", queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, inviter: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        clinicians = selectors.active_users_with_role(role=Role.CLINICIAN)
        self.fields["clinician"].queryset = clinicians
        self.fields["backup_clinician"].queryset = clinicians.exclude(pk=inviter.pk)
        self.fields["peer_specialist"].queryset = selectors.active_users_with_role(role=Role.PEER)
        if inviter.role == Role.CLINICIAN:
            # A clinician invites to their own caseload.
            del self.fields["clinician"]

    def clean_discharged_on(self):
        value = self.cleaned_data.get("discharged_on")
        if value and value > timezone.localdate():
            raise forms.ValidationError("The discharge date cannot be in the future.")
        return value


class StaffInvitationForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150)
    email = forms.EmailField(label="Work email address")
    role = forms.ChoiceField(
        label="Role",
        choices=[(r.value, r.label) for r in (Role.CLINICIAN, Role.PEER, Role.ADMIN)],
        widget=forms.RadioSelect,
    )


class InvitationAcceptForm(forms.Form):
    preferred_name = forms.CharField(
        label="What should we call you? (optional)",
        max_length=60,
        required=False,
        help_text="A first name or nickname. Only your care team sees your full name.",
    )
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters. A few words together is easy to remember.",
    )
    password2 = forms.CharField(
        label="Type the password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, full_name: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._probe_user = User(email=email, full_name=full_name)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords are not the same.")
        elif first:
            try:
                password_validation.validate_password(first, self._probe_user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class ApiTokenForm(forms.Form):
    name = forms.CharField(label="What is this token for?", max_length=60)
