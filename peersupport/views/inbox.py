"""The peer specialist's 1:1 inbox ("Ask a peer specialist"), and the admins' list of messages
waiting past the promise.

A peer specialist sees only the conversations sent to them (another's is a 404); opening one is
a read of a patient's record by staff, so it is audited, and marks the patient's messages read.
Admins see who is overdue by conversation number and peer specialist only: no patient name and
no message text.
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.decorators import role_required
from accounts.models import Role
from core.forms import apply_form_errors
from core.services import audit_record
from peersupport import selectors, services
from peersupport.forms.moderation import ConversationReplyForm

PER_PAGE = 25


def _posted(request: HttpRequest):
    """The submitted data on a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


@role_required(Role.PEER)
def inbox_view(request: HttpRequest) -> HttpResponse:
    """The peer's conversations: people waiting first (longest wait first), then the latest."""
    page = Paginator(selectors.inbox_for(peer=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "peersupport/moderation/inbox.html",
        {"page": page, "now": timezone.now(), "promise": selectors.reply_promise_text()},
    )


@role_required(Role.PEER)
@require_http_methods(["GET", "POST"])
def conversation_view(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_peer(
        peer=request.user, conversation_id=conversation_id
    )
    form = ConversationReplyForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.message_reply(
                conversation=conversation, by=request.user, body=form.cleaned_data["body"]
            )
        except PermissionDenied as exc:
            raise Http404(str(exc)) from exc
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request, f"Sent. {conversation.patient_label} has been told you replied."
            )
            return redirect("peersupport:inbox_conversation", conversation_id=conversation.pk)
    if request.method == "GET":
        services.conversation_mark_read(conversation=conversation, reader=request.user)
    # Staff reading a patient's messages is a read of their record: audited, every time.
    audit_record(
        actor=request.user,
        action="peer.conversation_viewed",
        subject=conversation.patient,
        target=conversation,
        request=request,
    )
    profile = getattr(conversation.patient, "patient_profile", None)
    return render(
        request,
        "peersupport/moderation/conversation.html",
        {
            "conversation": conversation,
            "patient": conversation.patient,
            "messages_list": selectors.conversation_messages(conversation=conversation),
            "form": form,
            "now": timezone.now(),
            # Their page is open to their own peer specialist only (accounts.permissions).
            "own_patient": profile is not None and profile.peer_specialist_id == request.user.pk,
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.ADMIN)
def overdue_messages_view(request: HttpRequest) -> HttpResponse:
    """For admins: every conversation still waiting past the promise, longest first. Ids, peer
    specialists and times only."""
    page = Paginator(selectors.conversations_overdue(), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "peersupport/moderation/overdue_messages.html",
        {"page": page, "now": timezone.now(), "promise": selectors.reply_promise_text()},
    )
