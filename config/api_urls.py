"""The JSON API, version 1: every app's API views under /api/v1/."""

from django.urls import path

from accounts import api as accounts_api
from cessation import api as cessation_api
from core.api import views as core_api
from onboarding import api as onboarding_api
from peersupport.api import member as peer_member_api
from peersupport.api import messages as peer_messages_api
from peersupport.api import moderation as moderation_api
from peersupport.api import moderation_actions as moderation_actions_api
from peersupport.api import posts as peer_posts_api
from safety import api as safety_api
from trials import api_urls as trials_api_urls

urlpatterns = [
    path("me/", accounts_api.UserMeApi.as_view(), name="me"),
    path("patients/", accounts_api.PatientListApi.as_view(), name="patient_list"),
    path(
        "patients/<id:patient_id>/", accounts_api.PatientDetailApi.as_view(), name="patient_detail"
    ),
    path("invitations/", accounts_api.InvitationListCreateApi.as_view(), name="invitation_list"),
    path(
        "invitations/<id:invitation_id>/revoke/",
        accounts_api.InvitationRevokeApi.as_view(),
        name="invitation_revoke",
    ),
    path("notifications/", core_api.NotificationListApi.as_view(), name="notification_list"),
    path(
        "notifications/<id:notification_id>/read/",
        core_api.NotificationReadApi.as_view(),
        name="notification_read",
    ),
    path("flags/", safety_api.FlagListApi.as_view(), name="flag_list"),
    path("flags/<id:flag_id>/", safety_api.FlagDetailApi.as_view(), name="flag_detail"),
    path(
        "flags/<id:flag_id>/acknowledge/",
        safety_api.FlagAcknowledgeApi.as_view(),
        name="flag_acknowledge",
    ),
    path("flags/<id:flag_id>/notes/", safety_api.FlagNoteApi.as_view(), name="flag_note"),
    path("flags/<id:flag_id>/resolve/", safety_api.FlagResolveApi.as_view(), name="flag_resolve"),
    path(
        "flags/<id:flag_id>/hand-over/",
        safety_api.FlagHandOverApi.as_view(),
        name="flag_hand_over",
    ),
    path("safety-plan/", safety_api.SafetyPlanApi.as_view(), name="safety_plan"),
    path(
        "crisis-resources/",
        safety_api.CrisisResourceListApi.as_view(),
        name="crisis_resource_list",
    ),
    path("quit-plan/", cessation_api.QuitPlanApi.as_view(), name="quit_plan"),
    path("check-ins/", cessation_api.CheckInListCreateApi.as_view(), name="checkin_list"),
    path("cravings/", cessation_api.CravingListCreateApi.as_view(), name="craving_list"),
    path("progress/", cessation_api.ProgressApi.as_view(), name="progress"),
    path(
        "patients/<id:patient_id>/check-ins/",
        cessation_api.PatientCheckInListApi.as_view(),
        name="patient_checkin_list",
    ),
    path(
        "patients/<id:patient_id>/progress/",
        cessation_api.PatientProgressApi.as_view(),
        name="patient_progress",
    ),
    path(
        "patients/<id:patient_id>/co-readings/",
        cessation_api.PatientCOReadingListCreateApi.as_view(),
        name="patient_co_reading_list",
    ),
    # Onboarding
    path("onboarding/", onboarding_api.OnboardingApi.as_view(), name="onboarding"),
    path(
        "onboarding/consents/",
        onboarding_api.ConsentListCreateApi.as_view(),
        name="onboarding_consents",
    ),
    path(
        "onboarding/consents/<slug:kind>/withdraw/",
        onboarding_api.ConsentWithdrawApi.as_view(),
        name="onboarding_consent_withdraw",
    ),
    path("onboarding/texts/<slug:key>/", onboarding_api.TextApi.as_view(), name="onboarding_text"),
    path(
        "patients/<id:patient_id>/onboarding/",
        onboarding_api.PatientOnboardingApi.as_view(),
        name="patient_onboarding",
    ),
    # Peer groups: members
    path("peer-member/", peer_member_api.PeerMemberApi.as_view(), name="peer_member"),
    path(
        "peer-member/guidelines/",
        peer_member_api.GuidelinesAcceptApi.as_view(),
        name="peer_guidelines_accept",
    ),
    path("groups/", peer_member_api.GroupListApi.as_view(), name="peer_group_list"),
    path("groups/<slug:slug>/", peer_posts_api.GroupDetailApi.as_view(), name="peer_group"),
    path(
        "groups/<slug:slug>/join/", peer_member_api.GroupJoinApi.as_view(), name="peer_group_join"
    ),
    path(
        "groups/<slug:slug>/leave/",
        peer_member_api.GroupLeaveApi.as_view(),
        name="peer_group_leave",
    ),
    path(
        "groups/<slug:slug>/threads/",
        peer_posts_api.GroupThreadListApi.as_view(),
        name="peer_thread_list",
    ),
    path(
        "groups/<slug:slug>/threads/<id:thread_id>/",
        peer_posts_api.ThreadDetailApi.as_view(),
        name="peer_thread_detail",
    ),
    path(
        "groups/<slug:slug>/threads/<id:thread_id>/replies/",
        peer_posts_api.ReplyCreateApi.as_view(),
        name="peer_reply_create",
    ),
    path(
        "groups/<slug:slug>/posts/<id:post_id>/reactions/",
        peer_posts_api.ReactionCreateApi.as_view(),
        name="peer_reaction_create",
    ),
    path(
        "groups/<slug:slug>/posts/<id:post_id>/reactions/<str:kind>/",
        peer_posts_api.ReactionDeleteApi.as_view(),
        name="peer_reaction_delete",
    ),
    path(
        "groups/<slug:slug>/posts/<id:post_id>/reports/",
        peer_posts_api.ReportCreateApi.as_view(),
        name="peer_report_create",
    ),
    path("my-posts/", peer_member_api.MyPostListApi.as_view(), name="peer_my_posts"),
    path(
        "peer-messages/",
        peer_messages_api.PeerMessageListCreateApi.as_view(),
        name="peer_messages",
    ),
    # Peer groups: moderation (peer specialists; the log for admins too)
    path("moderation/queue/", moderation_api.QueueApi.as_view(), name="moderation_queue"),
    path(
        "moderation/posts/<id:post_id>/",
        moderation_api.ModerationPostDetailApi.as_view(),
        name="moderation_post",
    ),
    path(
        "moderation/posts/<id:post_id>/approve/",
        moderation_actions_api.PostApproveApi.as_view(),
        name="moderation_post_approve",
    ),
    path(
        "moderation/posts/<id:post_id>/reject/",
        moderation_actions_api.PostRejectApi.as_view(),
        name="moderation_post_reject",
    ),
    path(
        "moderation/posts/<id:post_id>/edit/",
        moderation_actions_api.PostEditApi.as_view(),
        name="moderation_post_edit",
    ),
    path(
        "moderation/posts/<id:post_id>/remove/",
        moderation_actions_api.PostRemoveApi.as_view(),
        name="moderation_post_remove",
    ),
    path(
        "moderation/posts/<id:post_id>/lock/",
        moderation_actions_api.ThreadLockApi.as_view(),
        name="moderation_post_lock",
    ),
    path(
        "moderation/posts/<id:post_id>/pin/",
        moderation_actions_api.PostPinApi.as_view(),
        name="moderation_post_pin",
    ),
    path(
        "moderation/posts/<id:post_id>/worried/",
        moderation_actions_api.PostWorriedApi.as_view(),
        name="moderation_post_worried",
    ),
    path(
        "moderation/groups/<slug:slug>/members/",
        moderation_api.GroupMemberListApi.as_view(),
        name="moderation_group_members",
    ),
    path(
        "moderation/memberships/<id:membership_id>/mute/",
        moderation_actions_api.MemberMuteApi.as_view(),
        name="moderation_member_mute",
    ),
    path(
        "moderation/memberships/<id:membership_id>/unmute/",
        moderation_actions_api.MemberUnmuteApi.as_view(),
        name="moderation_member_unmute",
    ),
    path(
        "moderation/memberships/<id:membership_id>/remove/",
        moderation_actions_api.MemberRemoveApi.as_view(),
        name="moderation_member_remove",
    ),
    path(
        "moderation/memberships/<id:membership_id>/worried/",
        moderation_actions_api.MemberWorriedApi.as_view(),
        name="moderation_member_worried",
    ),
    path(
        "moderation/reports/<id:report_id>/close/",
        moderation_actions_api.ReportCloseApi.as_view(),
        name="moderation_report_close",
    ),
    path("moderation/actions/", moderation_api.ModerationLogApi.as_view(), name="moderation_log"),
    path(
        "moderation/message-templates/",
        moderation_api.MessageTemplateListApi.as_view(),
        name="moderation_message_templates",
    ),
    path(
        "moderation/conversations/",
        peer_messages_api.ConversationListApi.as_view(),
        name="moderation_conversation_list",
    ),
    path(
        "moderation/conversations/<id:conversation_id>/",
        peer_messages_api.ConversationDetailApi.as_view(),
        name="moderation_conversation_detail",
    ),
    path(
        "moderation/conversations/<id:conversation_id>/replies/",
        peer_messages_api.ConversationReplyApi.as_view(),
        name="moderation_conversation_reply",
    ),
    # The trial's routes (trials/api_urls.py).
    *trials_api_urls.urlpatterns,
]
