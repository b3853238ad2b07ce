"""API of "Ask a peer specialist": a patient's 1:1 conversation with their peer specialist, and the
peer specialist's inbox.

The patient sees the promise ("usually replies within 1 working day") and, while they wait, until
when, and that it is overdue rather than silence. A message is screened like a post: a crisis
alerts their clinician and the answer says to show crisis support at once. Peer specialists
see their own conversations only (anything else is a 404), the member by their group name, and
every read of a conversation is audited.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api_permissions import IsPatient, IsPeer
from core.api.errors import error_responses
from core.api.pagination import StandardPagination
from core.services import audit_record
from peersupport import selectors, services
from peersupport.api.common import (
    MEMBER,
    PEER_SPECIALIST,
    TAG_MEMBERS,
    TAG_MODERATION,
    AuthorSerializer,
    CrisisHintSerializer,
    body_field,
    crisis_hint,
    denied_as_not_found,
    paginated,
    pseudonym_of,
)
from peersupport.models import Conversation, PeerMessage

NOT_FOR_EMERGENCIES = "This is not for emergencies. If you need help now, use Get help now."


class PeerMessageSerializer(serializers.Serializer):
    """One message. `context`: the reader (`user`), the conversation's `patient_id` and how the
    patient is named to this reader (`member_name`)."""

    id = serializers.IntegerField()
    mine = serializers.SerializerMethodField(help_text="Sent by the reader.")
    sender = serializers.SerializerMethodField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True, help_text="When the other side read it.")

    def get_mine(self, message: PeerMessage) -> bool:
        return message.sender_id == self.context["user"].pk

    @extend_schema_field(AuthorSerializer)
    def get_sender(self, message: PeerMessage) -> dict:
        if message.sender_id == self.context["patient_id"]:
            return {"name": self.context["member_name"], "role": MEMBER}
        return {"name": message.sender.display_name, "role": PEER_SPECIALIST}


def _patient_context(patient) -> dict:
    return {"user": patient, "patient_id": patient.pk, "member_name": "You"}


# --- The patient's side ------------------------------------------------------------------------


class ConversationSerializer(serializers.Serializer):
    promise = serializers.CharField(help_text="Shown before sending: when to expect a reply.")
    not_for_emergencies = serializers.CharField()
    help_url = serializers.URLField(help_text="Get help now: crisis support.")
    peer = AuthorSerializer(allow_null=True, help_text="Who answers; null when nobody yet.")
    waiting = serializers.BooleanField(help_text="Their message is waiting for a reply.")
    waiting_since = serializers.DateTimeField(allow_null=True)
    reply_due_at = serializers.DateTimeField(
        allow_null=True, help_text="When a reply is due by the promise."
    )
    overdue = serializers.BooleanField(
        help_text="Past the promise: still waiting (not forgotten); the peer specialist's lead "
        "is told within minutes."
    )
    team_told = serializers.BooleanField(
        help_text="The peer specialist's lead has been told that this message is overdue."
    )
    messages = PeerMessageSerializer(many=True, help_text="The latest 200, oldest first.")


class MessageCreateSerializer(serializers.Serializer):
    body = body_field(
        services.MAX_MESSAGE_CHARS,
        empty="Write your message first.",
        help_text="Only the peer support team reads it. Stored encrypted.",
    )


class MessageResultSerializer(CrisisHintSerializer):
    message = PeerMessageSerializer()
    promise = serializers.CharField()
    waiting = serializers.BooleanField()
    reply_due_at = serializers.DateTimeField(allow_null=True)


class PeerMessageListCreateApi(APIView):
    """ "Ask a peer specialist": the patient's conversation with their peer specialist."""

    permission_classes = [IsPatient]

    @extend_schema(
        tags=[TAG_MEMBERS],
        responses={200: ConversationSerializer, **error_responses(401, 403)},
        description="The promise (when a reply can be expected), whether their message is still "
        "waiting and until when, and the messages. Reading marks the peer specialist's replies "
        "read.",
    )
    def get(self, request):
        peer = services.peer_for_patient(request.user)
        conversation = selectors.conversation_for_patient(patient=request.user, peer=peer)
        messages = []
        if conversation is not None:
            services.conversation_mark_read(conversation=conversation, reader=request.user)
            messages = selectors.conversation_messages(conversation=conversation)
        data = {
            "promise": selectors.reply_promise_text(),
            "not_for_emergencies": NOT_FOR_EMERGENCIES,
            "help_url": request.build_absolute_uri(reverse("safety:crisis_support")),
            "peer": {"name": peer.display_name, "role": PEER_SPECIALIST} if peer else None,
            "waiting": conversation is not None and conversation.is_waiting,
            "waiting_since": conversation.waiting_since if conversation else None,
            "reply_due_at": conversation.reply_due_at if conversation else None,
            "overdue": conversation is not None and conversation.is_overdue,
            "team_told": conversation is not None and conversation.breach_notified_at is not None,
            "messages": messages,
        }
        return Response(ConversationSerializer(data, context=_patient_context(request.user)).data)

    @extend_schema(
        tags=[TAG_MEMBERS],
        request=MessageCreateSerializer,
        responses={201: MessageResultSerializer, **error_responses(400, 401, 403)},
        description="Screened like a post: when it sounds like a crisis their clinician is "
        "alerted and `crisis` is true, so the client shows crisis support at once. Refused with "
        "the reason (400) when empty, too long, or there is no peer specialist for them yet.",
    )
    def post(self, request):
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.message_send(sender=request.user, body=serializer.validated_data["body"])
        data = {
            "message": result.message,
            "promise": selectors.reply_promise_text(),
            "waiting": result.conversation.is_waiting,
            "reply_due_at": result.conversation.reply_due_at,
            **crisis_hint(request, result.crisis),
        }
        return Response(
            MessageResultSerializer(data, context=_patient_context(request.user)).data,
            status=status.HTTP_201_CREATED,
        )


# --- The peer specialist's inbox ---------------------------------------------------------------


class InboxConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    member = serializers.SerializerMethodField(
        help_text="The member's group name; never their real name."
    )
    waiting = serializers.BooleanField(source="is_waiting")
    waiting_since = serializers.DateTimeField(allow_null=True)
    reply_due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue", help_text="Past the promise.")
    last_message_at = serializers.DateTimeField()

    def get_member(self, conversation: Conversation) -> str:
        return pseudonym_of(conversation.patient)


class InboxEntrySerializer(InboxConversationSerializer):
    unread = serializers.IntegerField(help_text="The member's messages not read yet.")


class InboxMessageSerializer(PeerMessageSerializer):
    screening_reason = serializers.CharField(
        help_text="Why the screening noticed the member's message; else empty."
    )
    screening_categories = serializers.ListField(child=serializers.CharField())
    flag_raised = serializers.SerializerMethodField(
        help_text="A safety flag went to the member's clinician."
    )

    def get_flag_raised(self, message: PeerMessage) -> bool:
        return bool(message.flag_ref)


class InboxConversationDetailSerializer(InboxConversationSerializer):
    messages = InboxMessageSerializer(many=True, help_text="The latest 200, oldest first.")


def _peer_context(request, conversation: Conversation) -> dict:
    return {
        "user": request.user,
        "patient_id": conversation.patient_id,
        "member_name": pseudonym_of(conversation.patient),
    }


class ConversationListApi(APIView):
    """The peer specialist's conversations: waiting ones first (longest wait first), then the
    most recent."""

    permission_classes = [IsPeer]
    pagination_class = StandardPagination

    @extend_schema(
        tags=[TAG_MODERATION],
        responses={
            200: InboxEntrySerializer(many=True),
            **error_responses(401, 403),
        },
    )
    def get(self, request):
        # The member's group name is shown on every row: joined here, not read row by row.
        conversations = selectors.inbox_for(peer=request.user).select_related(
            "patient__peer_member"
        )
        return paginated(self, request, conversations, InboxEntrySerializer)


class ConversationDetailApi(APIView):
    """One conversation with its messages and the screening beside each. The read is audited and
    marks the member's messages read."""

    permission_classes = [IsPeer]

    @extend_schema(
        tags=[TAG_MODERATION],
        responses={200: InboxConversationDetailSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, conversation_id: int):
        conversation = selectors.conversation_get_for_peer(
            peer=request.user, conversation_id=conversation_id
        )
        audit_record(
            actor=request.user,
            action="peer.conversation_viewed",
            subject=conversation.patient,
            target=conversation,
            request=request,
        )
        services.conversation_mark_read(conversation=conversation, reader=request.user)
        messages = selectors.conversation_messages(conversation=conversation)
        context = _peer_context(request, conversation)
        return Response(
            {
                **InboxConversationSerializer(conversation, context=context).data,
                "messages": InboxMessageSerializer(messages, many=True, context=context).data,
            }
        )


class ConversationReplyApi(APIView):
    """Answer a member. They are no longer waiting, and are told."""

    permission_classes = [IsPeer]

    @extend_schema(
        tags=[TAG_MODERATION],
        request=MessageCreateSerializer,
        responses={201: PeerMessageSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, conversation_id: int):
        conversation = selectors.conversation_get_for_peer(
            peer=request.user, conversation_id=conversation_id
        )
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with denied_as_not_found():
            message = services.message_reply(
                conversation=conversation, by=request.user, body=serializer.validated_data["body"]
            )
        return Response(
            PeerMessageSerializer(message, context=_peer_context(request, conversation)).data,
            status=status.HTTP_201_CREATED,
        )
