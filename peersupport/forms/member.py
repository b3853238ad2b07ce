"""Forms of the members' pages and of "Ask a peer specialist". They turn what was typed into
values; the rules (what a group name may be, how long a post is, reporting once) are the
services', and their ValidationErrors are shown next to the field with nothing saved."""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy

from peersupport import pseudonyms, services
from peersupport.models import Report

# The live check (htmx): the draft is screened as the person types, and what it finds is read out
# from the region beside the box (aria-live). The server-side screen at posting still decides.
CHECK_REGION_ID = "post-check"


class PseudonymForm(forms.Form):
    pseudonym = forms.CharField(
        label="Your group name",
        help_text=(
            f"{pseudonyms.MIN_LENGTH} to {pseudonyms.MAX_LENGTH} letters or numbers. "
            "For example: Quiet Fox, Blue Kettle, Hill Walker 7."
        ),
        # Long enough for spaces the check tidies away; the service says what is too long.
        max_length=60,
        error_messages={
            "required": "Choose a name first.",
            "max_length": f"Choose a name of at most {pseudonyms.MAX_LENGTH} characters.",
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "words", "spellcheck": "false"}
        ),
    )


class GuidelinesForm(forms.Form):
    """ "I agree", with the version of the guidelines the person read."""

    version = forms.CharField(
        widget=forms.HiddenInput,
        max_length=16,
        error_messages={"required": "Read the guidelines, then press “I agree”."},
    )


def _live_check_attrs(rows: int, maxlength: int) -> dict:
    return {
        "rows": rows,
        "maxlength": maxlength,
        "hx-post": reverse_lazy("peersupport:post_check"),
        "hx-trigger": "keyup changed delay:800ms, blur",
        "hx-target": f"#{CHECK_REGION_ID}",
        "hx-swap": "innerHTML",
        # htmx sends the enclosing form's fields with a POST, the CSRF token among them.
        "hx-include": "closest form",
    }


class PostForm(forms.Form):
    """A new conversation or a reply. Its length is the service's to enforce (with the count)."""

    body = forms.CharField(
        label="Your message",
        help_text=(
            "Personal details are things like phone numbers, addresses, full names or social "
            "media. Some posts are read by a peer specialist before they are shared."
        ),
        error_messages={"required": "Write something first."},
        widget=forms.Textarea(attrs=_live_check_attrs(5, services.MAX_POST_CHARS)),
    )

    def __init__(self, *args, label: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["body"].label = label


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="What is wrong with this post?",
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you are reporting this post."},
    )
    note = forms.CharField(
        label="Anything you want the peer specialist to know? (optional)",
        help_text="Only the group's peer specialists read this.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.MAX_REPORT_NOTE_CHARS}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message to a peer specialist",
        help_text="Only the peer support team reads it. It is stored encrypted.",
        error_messages={"required": "Write your message first."},
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": services.MAX_MESSAGE_CHARS}),
    )
