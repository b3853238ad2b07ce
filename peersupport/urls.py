from django.urls import path

from peersupport.views import inbox, member, messages, moderation

app_name = "peersupport"

urlpatterns = [
    # Members (patients)
    path("groups/", member.groups_view, name="groups"),
    path("groups/name/", member.pseudonym_view, name="pseudonym"),
    path("groups/guidelines/", member.guidelines_view, name="guidelines"),
    path("groups/my-posts/", member.my_posts_view, name="my_posts"),
    path("groups/check/", member.post_check_view, name="post_check"),
    path("groups/<slug:slug>/", member.group_view, name="group"),
    path("groups/<slug:slug>/join/", member.group_join_view, name="group_join"),
    path("groups/<slug:slug>/leave/", member.group_leave_view, name="group_leave"),
    path("groups/<slug:slug>/new/", member.post_create_view, name="post_create"),
    path("groups/<slug:slug>/threads/<id:thread_id>/", member.thread_view, name="thread"),
    path(
        "groups/<slug:slug>/threads/<id:thread_id>/reply/",
        member.reply_create_view,
        name="reply_create",
    ),
    path("groups/<slug:slug>/posts/<id:post_id>/react/", member.reaction_view, name="react"),
    path("groups/<slug:slug>/posts/<id:post_id>/report/", member.report_view, name="report"),
    path("messages/", messages.messages_view, name="messages"),
    # Peer specialists: moderation
    path("moderation/", moderation.queue_view, name="moderation"),
    path("moderation/log/", moderation.log_view, name="moderation_log"),
    path("moderation/posts/<id:post_id>/", moderation.post_view, name="moderation_post"),
    path(
        "moderation/posts/<id:post_id>/approve/",
        moderation.approve_view,
        name="moderation_approve",
    ),
    path("moderation/posts/<id:post_id>/reject/", moderation.reject_view, name="moderation_reject"),
    path("moderation/posts/<id:post_id>/edit/", moderation.edit_view, name="moderation_edit"),
    path("moderation/posts/<id:post_id>/remove/", moderation.remove_view, name="moderation_remove"),
    path("moderation/posts/<id:post_id>/lock/", moderation.lock_view, name="moderation_lock"),
    path("moderation/posts/<id:post_id>/pin/", moderation.pin_view, name="moderation_pin"),
    path(
        "moderation/posts/<id:post_id>/worried/",
        moderation.post_worried_view,
        name="moderation_post_worried",
    ),
    path(
        "moderation/reports/<id:report_id>/close/",
        moderation.report_close_view,
        name="moderation_report_close",
    ),
    path("moderation/groups/<slug:slug>/", moderation.group_view, name="moderation_group"),
    path(
        "moderation/groups/<slug:slug>/post/",
        moderation.staff_post_view,
        name="moderation_staff_post",
    ),
    path(
        "moderation/members/<id:membership_id>/",
        moderation.member_view,
        name="moderation_member",
    ),
    path(
        "moderation/members/<id:membership_id>/mute/",
        moderation.mute_view,
        name="moderation_mute",
    ),
    path(
        "moderation/members/<id:membership_id>/unmute/",
        moderation.unmute_view,
        name="moderation_unmute",
    ),
    path(
        "moderation/members/<id:membership_id>/remove/",
        moderation.member_remove_view,
        name="moderation_member_remove",
    ),
    path(
        "moderation/members/<id:membership_id>/reveal/",
        moderation.reveal_view,
        name="moderation_reveal",
    ),
    path(
        "moderation/members/<id:membership_id>/worried/",
        moderation.member_worried_view,
        name="moderation_member_worried",
    ),
    # Peer specialists: 1:1 messages; admins: messages waiting past the promise
    path("moderation/messages/", inbox.inbox_view, name="inbox"),
    path(
        "moderation/messages/<id:conversation_id>/",
        inbox.conversation_view,
        name="inbox_conversation",
    ),
    path("manage/overdue-messages/", inbox.overdue_messages_view, name="overdue_messages"),
]
