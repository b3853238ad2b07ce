""" "Ask a peer specialist": the patient's 1:1 messages with their peer support specialist.

The promise ("usually replies within 1 working day; not for emergencies") is shown before
anything is sent. While the patient waits they see when a reply is due, and once that has passed,
that their message is still waiting and the team knows: never silence. A message that sounds
like a crisis takes them straight to crisis support.
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.decorators import role_required
from accounts.models import Role
from core.forms import apply_form_errors
from peersupport import selectors, services
from peersupport.forms.member import MessageForm


def _data(request: HttpRequest):
    """The form data of a POST, even an empty one (an empty POST is refused, not a new form)."""
    return request.POST if request.method == "POST" else None


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def messages_view(request: HttpRequest) -> HttpResponse:
    form = MessageForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            result = services.message_send(sender=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            if result.crisis:
                return redirect("safety:crisis_support")
            messages.success(request, "Sent.")
            return redirect("peersupport:messages")
    peer = services.peer_for_patient(request.user)
    conversation = selectors.conversation_for_patient(patient=request.user, peer=peer)
    thread = []
    if conversation is not None:
        thread = selectors.conversation_messages(conversation=conversation)
        # Read now; the page still marks what was new (read_at was empty when it was fetched).
        services.conversation_mark_read(conversation=conversation, reader=request.user)
    return render(
        request,
        "peersupport/member/messages.html",
        {
            "form": form,
            "peer": peer,
            "conversation": conversation,
            "thread": thread,
            "promise": selectors.reply_promise_text(),
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )
