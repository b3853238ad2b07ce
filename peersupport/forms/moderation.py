"""Forms of moderation and of the peer specialist's 1:1 inbox.

They check the shape of what was sent (a choice among those offered, a length); the services
decide the rest and their ValidationErrors land on these fields (core.forms.apply_form_errors).
"""

from __future__ import annotations

from django import forms

from accounts.models import User
from peersupport.models import ModeratorMessageTemplate, PeerGroup, Post
from peersupport.services import (
    MAX_MESSAGE_CHARS,
    MAX_MODERATOR_MESSAGE_CHARS,
    MAX_POST_CHARS,
    MAX_REASON_CHARS,
    MUTE_DAYS,
)
from safety.models import Severity


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def _flag(value: str) -> bool:
    return value == "1"


class MessageToAuthorForm(forms.Form):
    """Not publishing or removing a post: a kind message to its author, one of the templates
    admins keep or the moderator's own words. `text` in cleaned_data is what the author reads."""

    OWN = "own"

    template = forms.ChoiceField(
        label="Choose a kind message for them", required=False, widget=forms.RadioSelect
    )
    message = forms.CharField(
        label="Or write your own message",
        required=False,
        max_length=MAX_MODERATOR_MESSAGE_CHARS,
        widget=_textarea(4),
        help_text="Used when you choose 'Write my own message' or no message above. "
        "The author reads it beside their post.",
    )

    def __init__(self, *args, templates: list[ModeratorMessageTemplate], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.templates = {str(template.pk): template for template in templates}
        self.fields["template"].choices = [
            *((pk, template.title) for pk, template in self.templates.items()),
            (self.OWN, "Write my own message"),
        ]

    def options(self) -> list[dict]:
        """Each radio button with the text the author would read, for the template to show."""
        return [
            {
                "radio": radio,
                "text": self.templates[radio.data["value"]].text
                if radio.data["value"] in self.templates
                else "",
            }
            for radio in self["template"]
        ]

    def clean(self) -> dict:
        data = super().clean()
        choice = data.get("template") or self.OWN
        written = (data.get("message") or "").strip()
        if choice != self.OWN:
            data["text"] = self.templates[choice].text
        elif written:
            data["text"] = written
        elif "message" not in self.errors:
            self.add_error("message", "Choose one of the messages, or write your own.")
        return data


class EditOutForm(forms.Form):
    body = forms.CharField(
        label="The post, without the personal details",
        max_length=MAX_POST_CHARS,
        widget=_textarea(8),
        help_text="Take out only what could identify someone. Keep the rest as they wrote it.",
    )
    reason = forms.CharField(
        label="What you took out and why (optional)",
        required=False,
        max_length=MAX_REASON_CHARS,
        widget=_textarea(2),
        help_text="For the moderation log. The author is told their post was edited.",
    )


class LockForm(forms.Form):
    locked = forms.TypedChoiceField(
        choices=[("1", "Close to replies"), ("0", "Open to replies")],
        coerce=_flag,
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label="Why (optional)", required=False, max_length=MAX_REASON_CHARS, widget=_textarea(2)
    )


class PinForm(forms.Form):
    pinned = forms.TypedChoiceField(
        choices=[("1", "Pin"), ("0", "Unpin")], coerce=_flag, widget=forms.HiddenInput
    )


class ReportCloseForm(forms.Form):
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=MAX_REASON_CHARS,
        widget=_textarea(2),
        help_text="For the moderation log.",
    )


# The labels say how soon the clinician must respond (SAFETY_ACK_DEADLINE_MINUTES).
WORRY_URGENCY = [
    (Severity.MEDIUM, "Within a day"),
    (Severity.HIGH, "Within 4 hours"),
    (Severity.CRITICAL, "Within the hour — they may be in danger"),
]


class WorriedForm(forms.Form):
    note = forms.CharField(
        label="What worries you?",
        max_length=MAX_REASON_CHARS,
        widget=_textarea(4),
        help_text="Their clinician reads this. Stored encrypted.",
    )
    severity = forms.ChoiceField(
        label="How soon should their clinician respond?",
        choices=WORRY_URGENCY,
        initial=Severity.HIGH,
        widget=forms.RadioSelect,
    )


def _days_label(days: int) -> str:
    if days % 7 == 0:
        weeks = days // 7
        return f"{weeks} week{'s' if weeks > 1 else ''}"
    return f"{days} day{'s' if days > 1 else ''}"


class MuteForm(forms.Form):
    days = forms.TypedChoiceField(
        label="Pause their posting for",
        choices=[(str(days), _days_label(days)) for days in MUTE_DAYS],
        coerce=int,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Why",
        max_length=MAX_REASON_CHARS,
        widget=_textarea(2),
        help_text="For the moderation log. They are told until when, not why.",
    )


class MemberRemoveForm(forms.Form):
    reason = forms.CharField(
        label="Why", max_length=MAX_REASON_CHARS, widget=_textarea(2), help_text="For the log."
    )
    confirm = forms.BooleanField(
        label="I understand they cannot join this group again",
        error_messages={"required": "Tick the box to confirm they cannot join again."},
    )


class RevealForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need to know who they are?",
        max_length=MAX_REASON_CHARS,
        widget=_textarea(3),
        help_text="Recorded in the moderation log with your name.",
    )


class _StaffChoice(forms.ModelChoiceField):
    """Staff by their full name (colleagues see each other's names; members never do)."""

    def label_from_instance(self, obj: User) -> str:
        return obj.full_name


class StaffPostForm(forms.Form):
    """A peer specialist posts in a group: an announcement, the welcome post, programme content
    (with the clinician who approved it) or an ordinary post; or, with `reply`, a reply."""

    KINDS = [
        (Post.Kind.ANNOUNCEMENT, "An announcement"),
        (Post.Kind.STAFF, "An ordinary post from you"),
        (Post.Kind.WELCOME, "The group's welcome post (replaces the current one)"),
        (Post.Kind.PROGRAMME, "Programme content approved by a clinician"),
    ]

    kind = forms.ChoiceField(
        label="What are you posting?",
        choices=KINDS,
        initial=Post.Kind.ANNOUNCEMENT,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(label="Your post", max_length=MAX_POST_CHARS, widget=_textarea(8))
    pinned = forms.BooleanField(
        label="Pin it to the top of the group",
        required=False,
        help_text="The welcome post is always pinned.",
    )
    approved_by = _StaffChoice(
        label="Approved by (programme content only)",
        queryset=User.objects.none(),
        required=False,
    )
    approved_on = forms.DateField(
        label="Approved on (programme content only)",
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )

    def __init__(self, *args, clinicians, reply: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reply = reply
        if reply:
            for name in ("kind", "pinned", "approved_by", "approved_on"):
                del self.fields[name]
            self.fields["body"].label = "Your reply"
        else:
            self.fields["approved_by"].queryset = clinicians

    def clean(self) -> dict:
        data = super().clean()
        if self.reply:
            data["kind"] = Post.Kind.STAFF
        elif data.get("kind") == Post.Kind.PROGRAMME:
            if not data.get("approved_by") and "approved_by" not in self.errors:
                self.add_error("approved_by", "Choose the clinician who approved it.")
            if not data.get("approved_on") and "approved_on" not in self.errors:
                self.add_error("approved_on", "Give the date they approved it.")
        return data


class LogFilterForm(forms.Form):
    group = forms.ModelChoiceField(
        label="Group", queryset=PeerGroup.objects.none(), required=False, empty_label="All groups"
    )
    moderator = _StaffChoice(
        label="Who", queryset=User.objects.none(), required=False, empty_label="Everyone"
    )

    def __init__(self, *args, groups, moderators, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups
        self.fields["moderator"].queryset = moderators


class ConversationReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply", max_length=MAX_MESSAGE_CHARS, widget=_textarea(5), strip=True
    )
