"""Moderation pages of the peer groups: a peer specialist's queue, one post with everything needed
to decide, the actions on posts and members, posting as staff, a group's members, the audited
identity look-up, and the moderation log (admins read all of it, peers their own groups').

Views stay thin: the selectors 404 anything outside the groups the peer moderates, the forms
check the shape of the input, one service makes the change. A service's PermissionDenied is a
404 here (not in a group you moderate), its ValidationError a form error (400) and a
StateConflict a message (409); nothing changes in either case.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.models import Role
from core.exceptions import StateConflict
from core.forms import apply_form_errors
from core.services import audit_record
from peersupport import permissions, selectors, services
from peersupport.forms.moderation import (
    EditOutForm,
    LockForm,
    LogFilterForm,
    MemberRemoveForm,
    MessageToAuthorForm,
    MuteForm,
    PinForm,
    ReportCloseForm,
    RevealForm,
    StaffPostForm,
    WorriedForm,
)
from peersupport.models import Membership, Post
from safety.selectors import active_clinicians

# Screening categories in plain words, for the queue and a post's page.
CATEGORY_WORDS = {
    "crisis": "May be in crisis",
    "abuse": "May be abusive or unkind",
    "harmful_advice": "May give harmful advice",
    "personal_info": "Shares personal details",
    "system": "Could not be fully checked",
}
FLAG_RAISED = "Safety flag raised — the clinician has been told"
NEW_MEMBER = "New member's first posts"
WORRIED_DONE = "The clinician has been told. If someone is in immediate danger, call 999 now."
MEMBERS_PER_PAGE = 25
LOG_PER_PAGE = 50
RECENT = 20


def group_name(post: Post) -> str:
    """How a post's author appears to moderators: their group name, never their real name."""
    if post.is_from_staff:
        return "A peer support specialist"
    peer_member = getattr(post.author, "peer_member", None)
    return peer_member.pseudonym if peer_member is not None else "A member"


def why_held(post: Post) -> list[str]:
    """Why a post waits for a moderator, in plain words."""
    reasons = [FLAG_RAISED] if post.flag_ref else []
    if post.held_reason == services.NEW_MEMBER_REASON:
        reasons.append(NEW_MEMBER)
    elif post.held_reason:
        reasons.append(post.held_reason)
    return reasons + [CATEGORY_WORDS.get(c, c) for c in post.screening_categories or ()]


def _evidence(post: Post) -> list[dict]:
    return [
        {**item, "words": CATEGORY_WORDS.get(item.get("category", ""), item.get("category", ""))}
        for item in selectors.screening_evidence_of(post)
    ]


def _posted(request: HttpRequest):
    """The submitted data on a POST (even an empty one, so that it is validated), else None."""
    return request.POST if request.method == "POST" else None


def _editable(post: Post) -> bool:
    return not post.is_from_staff and post.status in (Post.Status.HELD, Post.Status.PUBLISHED)


# --- the queue ------------------------------------------------------------------------------------


@role_required(Role.PEER)
def queue_view(request: HttpRequest) -> HttpResponse:
    """Everything waiting for this peer specialist, most urgent first."""
    queue = selectors.moderation_queue_for(user=request.user)
    items = [
        {
            "item": item,
            "author": group_name(item.post),
            "why": why_held(item.post) if item.kind == "held" else [],
        }
        for item in queue.items
    ]
    return render(
        request,
        "peersupport/moderation/queue.html",
        {
            "queue": queue,
            "items": items,
            "now": timezone.now(),
            "unanswered_hours": settings.PEERSUPPORT_UNANSWERED_HOURS,
        },
    )


# --- one post -------------------------------------------------------------------------------------


def _post_page(
    request: HttpRequest, post: Post, *, forms: dict | None = None, status: int = HTTPStatus.OK
) -> HttpResponse:
    forms = forms or {}
    context = selectors.moderation_post_context(post=post)
    templates = context["templates"]
    reports = [
        {
            "report": report,
            "form": forms.get(f"report_{report.pk}")
            or ReportCloseForm(auto_id=f"id_report{report.pk}_%s"),
        }
        for report in context.pop("reports")
    ]
    return render(
        request,
        "peersupport/moderation/post.html",
        {
            **context,
            "post": post,
            "author": group_name(post),
            "why": why_held(post) if post.status == Post.Status.HELD else [],
            "evidence": _evidence(post),
            "reports": reports,
            "open_reports": sum(1 for row in reports if row["report"].handled_at is None),
            "thread_author": group_name(context["thread"]),
            "author_posts": [
                {"label": Post.Status(row["status"]).label.lower(), "count": row["count"]}
                for row in context.pop("author_posts")
            ],
            "editable": _editable(post),
            "reject_form": forms.get("reject")
            or MessageToAuthorForm(templates=templates, auto_id="id_reject_%s"),
            "remove_form": forms.get("remove")
            or MessageToAuthorForm(templates=templates, auto_id="id_remove_%s"),
            "lock_form": forms.get("lock")
            or LockForm(initial={"locked": "0" if post.is_locked else "1"}, auto_id="id_lock_%s"),
            "pin_form": forms.get("pin")
            or PinForm(initial={"pinned": "0" if post.is_pinned else "1"}, auto_id="id_pin_%s"),
            "now": timezone.now(),
        },
        status=status,
    )


@role_required(Role.PEER)
def post_view(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_open_for_moderator(user=request.user, post_id=post_id, request=request)
    return _post_page(request, post)


def _post_action(
    request: HttpRequest,
    post: Post,
    act: Callable[[dict], str],
    *,
    form=None,
    form_name: str = "",
    done: str = "post",
) -> HttpResponse:
    """Validate, call one service, and answer: back to the queue or the post with a message, or
    the post's page again (400 with the form's errors, 409 with the conflict)."""
    if form is not None and not form.is_valid():
        _say_hidden_errors(request, form)
        return _post_page(request, post, forms={form_name: form}, status=HTTPStatus.BAD_REQUEST)
    try:
        message = act(form.cleaned_data if form is not None else {})
    except PermissionDenied as exc:
        raise Http404(str(exc)) from exc
    except StateConflict as exc:
        messages.error(request, exc.message)
        return _post_page(request, post, status=HTTPStatus.CONFLICT)
    except ValidationError as exc:
        if form is None or not _on_visible_fields(form, exc):
            # Refusals about the post itself ("only a whole conversation can be closed") may
            # concern a form the page does not show for this post: say them at the top.
            messages.error(request, " ".join(exc.messages))
        if form is None:
            return _post_page(request, post, status=HTTPStatus.BAD_REQUEST)
        apply_form_errors(form, exc)
        return _post_page(request, post, forms={form_name: form}, status=HTTPStatus.BAD_REQUEST)
    messages.success(request, message)
    if done == "queue":
        return redirect("peersupport:moderation")
    return redirect("peersupport:moderation_post", post_id=post.pk)


def _on_visible_fields(form, exc: ValidationError) -> bool:
    fields = getattr(exc, "error_dict", {}).keys()
    return bool(fields) and all(
        name in form.fields and not form.fields[name].widget.is_hidden for name in fields
    )


def _say_hidden_errors(request: HttpRequest, form) -> None:
    """A hidden field's error (a tampered choice) has no place on the page: say it at the top."""
    if any(form.fields[name].widget.is_hidden for name in form.errors if name in form.fields):
        messages.error(request, "That is not one of the choices offered. Nothing was changed.")


@role_required(Role.PEER)
@require_POST
def approve_view(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_moderator(user=request.user, post_id=post_id)

    def act(data):
        services.post_approve(post=post, by=request.user, request=request)
        return f"Shared with the group. {group_name(post)} has been told."

    return _post_action(request, post, act, done="queue")


def _message_form(request: HttpRequest, prefix: str) -> MessageToAuthorForm:
    return MessageToAuthorForm(
        request.POST, templates=selectors.message_templates(), auto_id=f"id_{prefix}_%s"
    )


@role_required(Role.PEER)
@require_POST
def reject_view(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_moderator(user=request.user, post_id=post_id)

    def act(data):
        services.post_reject(post=post, by=request.user, message=data["text"], request=request)
        return f"Not published. {group_name(post)} has your message."

    form = _message_form(request, "reject")
    return _post_action(request, post, act, form=form, form_name="reject", done="queue")


@role_required(Role.PEER)
@require_POST
def remove_view(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_moderator(user=request.user, post_id=post_id)

    def act(data):
        services.post_remove(post=post, by=request.user, message=data["text"], request=request)
        return "Removed from the group." + (
            "" if post.is_from_staff else f" {group_name(post)} has your message."
        )

    form = _message_form(request, "remove")
    return _post_action(request, post, act, form=form, form_name="remove", done="queue")


@role_required(Role.PEER)
@require_POST
def lock_view(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_moderator(user=request.user, post_id=post_id)

    def act(data):
        services.thread_lock(
            post=post,
            by=request.user,
            locked=data["locked"],
            reason=data["reason"],
            request=request,
        )
        if data["locked"]:
            return "The conversation is closed to new replies."
        return "The conversation is open to replies again."

    form = LockForm(request.POST, auto_id="id_lock_%s")
    return _post_action(request, post, act, form=form, form_name="lock")


@role_required(Role.PEER)
@require_POST
def pin_view(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_moderator(user=request.user, post_id=post_id)

    def act(data):
        services.post_pin(post=post, by=request.user, pinned=data["pinned"], request=request)
        return "Pinned to the top of the group." if data["pinned"] else "Unpinned."

    form = PinForm(request.POST, auto_id="id_pin_%s")
    return _post_action(request, post, act, form=form, form_name="pin")


@role_required(Role.PEER)
@require_POST
def report_close_view(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get_for_moderator(user=request.user, report_id=report_id)
    post = selectors.post_get_for_moderator(user=request.user, post_id=report.post_id)

    def act(data):
        services.report_close(report=report, by=request.user, note=data["note"], request=request)
        return "Report closed: nothing more needed."

    form = ReportCloseForm(request.POST, auto_id=f"id_report{report.pk}_%s")
    return _post_action(request, post, act, form=form, form_name=f"report_{report.pk}")


@role_required(Role.PEER)
@require_http_methods(["GET", "POST"])
def edit_view(request: HttpRequest, post_id: int) -> HttpResponse:
    """Take personal details out of a member's post: the screening's excerpts above the text, so
    the moderator sees what to take out; "Save and publish" for a held post."""
    post = selectors.post_get_for_moderator(user=request.user, post_id=post_id)
    form = EditOutForm(_posted(request), initial={"body": post.body})
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            publish = request.POST.get("publish") == "1"
            try:
                services.post_edit_out(
                    post=post,
                    by=request.user,
                    body=form.cleaned_data["body"],
                    reason=form.cleaned_data["reason"],
                    publish=publish,
                    request=request,
                )
            except PermissionDenied as exc:
                raise Http404(str(exc)) from exc
            except StateConflict as exc:
                messages.error(request, exc.message)
                status = HTTPStatus.CONFLICT
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                post.refresh_from_db(fields=["status"])
                shared = post.status == Post.Status.PUBLISHED
                messages.success(
                    request,
                    f"Saved{' and shared with the group' if publish and shared else ''}. "
                    f"{group_name(post)} has been told their post was edited.",
                )
                if publish:
                    return redirect("peersupport:moderation")
                return redirect("peersupport:moderation_post", post_id=post.pk)
    return render(
        request,
        "peersupport/moderation/edit.html",
        {
            "post": post,
            "author": group_name(post),
            "evidence": _evidence(post),
            "form": form,
            "editable": _editable(post),
        },
        status=status,
    )


# --- worried about someone ------------------------------------------------------------------------


def _worried(request: HttpRequest, *, group, member, post, membership, back: str) -> HttpResponse:
    form = WorriedForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.member_worried(
                group=group,
                member=member,
                by=request.user,
                note=form.cleaned_data["note"],
                severity=form.cleaned_data["severity"],
                post=post,
                request=request,
            )
        except PermissionDenied as exc:
            raise Http404(str(exc)) from exc
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, WORRIED_DONE)
            return redirect(back)
    return render(
        request,
        "peersupport/moderation/worried.html",
        {
            "form": form,
            "group": group,
            "post": post,
            "membership": membership,
            "name": member.peer_member.pseudonym
            if hasattr(member, "peer_member")
            else "this member",
            "back": back,
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.PEER)
@require_http_methods(["GET", "POST"])
def post_worried_view(request: HttpRequest, post_id: int) -> HttpResponse:
    post = selectors.post_get_for_moderator(user=request.user, post_id=post_id)
    if post.is_from_staff:
        raise Http404("Staff posts have no member to worry about.")
    return _worried(
        request,
        group=post.group,
        member=post.author,
        post=post,
        membership=None,
        back=reverse("peersupport:moderation_post", args=[post.pk]),
    )


@role_required(Role.PEER)
@require_http_methods(["GET", "POST"])
def member_worried_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get_for_moderator(
        user=request.user, membership_id=membership_id
    )
    return _worried(
        request,
        group=membership.group,
        member=membership.member,
        post=None,
        membership=membership,
        back=reverse("peersupport:moderation_member", args=[membership.pk]),
    )


# --- a group --------------------------------------------------------------------------------------


@role_required(Role.PEER)
def group_view(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.group_get_for_moderator(user=request.user, slug=slug)
    page = Paginator(selectors.group_members_for_moderator(group=group), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "peersupport/moderation/group.html",
        {
            "group": group,
            "page": page,
            "now": timezone.now(),
            "welcome": selectors.group_welcome_post(group=group),
            "log": list(
                selectors.moderation_log_for(user=request.user, group_id=group.pk)[:RECENT]
            ),
        },
    )


@role_required(Role.PEER)
@require_http_methods(["GET", "POST"])
def staff_post_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Post as the group's peer specialist: an announcement, the welcome post, programme
    content, an ordinary post, or (with ?reply_to=<thread id>) a reply to a conversation."""
    group = selectors.group_get_for_moderator(user=request.user, slug=slug)
    thread = _reply_to(request, group)
    clinicians = active_clinicians()
    initial = {}
    welcome = selectors.group_welcome_post(group=group)
    if thread is None and request.GET.get("kind") == Post.Kind.WELCOME:
        initial = {"kind": Post.Kind.WELCOME, "body": welcome.body if welcome else ""}
    form = StaffPostForm(
        _posted(request), clinicians=clinicians, reply=thread is not None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.staff_post_create(
                author=request.user,
                group=group,
                body=data["body"],
                kind=data["kind"],
                parent=thread,
                pinned=data.get("pinned", False),
                approved_by=data.get("approved_by"),
                approved_on=data.get("approved_on"),
            )
        except PermissionDenied as exc:
            raise Http404(str(exc)) from exc
        except StateConflict as exc:
            messages.error(request, exc.message)
            return _staff_post_page(request, group, thread, form, welcome, HTTPStatus.CONFLICT)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request,
                "The welcome post is updated."
                if data["kind"] == Post.Kind.WELCOME
                else "Posted. Everyone in the group can read it now.",
            )
            return redirect("peersupport:moderation_post", post_id=post.pk)
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    return _staff_post_page(request, group, thread, form, welcome, status)


def _staff_post_page(request, group, thread, form, welcome, status) -> HttpResponse:
    return render(
        request,
        "peersupport/moderation/staff_post.html",
        {
            "group": group,
            "thread": thread,
            "thread_author": group_name(thread) if thread is not None else "",
            "form": form,
            "welcome": welcome,
        },
        status=status,
    )


def _reply_to(request: HttpRequest, group) -> Post | None:
    """The conversation named by ?reply_to=, in this group; anything else is a 404."""
    raw = request.GET.get("reply_to")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise Http404("No such conversation.")
    thread = selectors.post_get_for_moderator(user=request.user, post_id=int(raw))
    if thread.group_id != group.pk or thread.parent_id is not None:
        raise Http404("No such conversation in this group.")
    return thread


# --- a member -------------------------------------------------------------------------------------


def _member_page(
    request: HttpRequest,
    membership: Membership,
    *,
    forms: dict | None = None,
    status: int = HTTPStatus.OK,
) -> HttpResponse:
    forms = forms or {}
    member = membership.member
    history = selectors.moderation_log_for(user=request.user, group_id=membership.group_id)
    return render(
        request,
        "peersupport/moderation/member.html",
        {
            "membership": membership,
            "name": membership.member.peer_member.pseudonym,
            "now": timezone.now(),
            "posts": list(
                selectors.posts_by_author(user=member).filter(group=membership.group)[:RECENT]
            ),
            "history": list(history.filter(member=member)[:RECENT]),
            "can_reveal": permissions.can_reveal_identity(request.user, member, membership.group),
            "mute_form": forms.get("mute") or MuteForm(auto_id="id_mute_%s"),
            "remove_form": forms.get("remove") or MemberRemoveForm(auto_id="id_remove_%s"),
        },
        status=status,
    )


@role_required(Role.PEER)
def member_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    """One member of a group the peer moderates, under their group name only."""
    membership = selectors.membership_get_for_moderator(
        user=request.user, membership_id=membership_id
    )
    audit_record(
        actor=request.user,
        action="moderation.member_viewed",
        subject=membership.member,
        target=membership,
        detail={"group_id": membership.group_id},
        request=request,
    )
    return _member_page(request, membership)


def _member_action(
    request: HttpRequest,
    membership_id: int,
    act: Callable[[Membership, dict], str],
    *,
    form=None,
    form_name: str = "",
) -> HttpResponse:
    membership = selectors.membership_get_for_moderator(
        user=request.user, membership_id=membership_id
    )
    if form is not None and not form.is_valid():
        return _member_page(
            request, membership, forms={form_name: form}, status=HTTPStatus.BAD_REQUEST
        )
    try:
        message = act(membership, form.cleaned_data if form is not None else {})
    except PermissionDenied as exc:
        raise Http404(str(exc)) from exc
    except StateConflict as exc:
        messages.error(request, exc.message)
        return _member_page(request, membership, status=HTTPStatus.CONFLICT)
    except ValidationError as exc:
        if form is None:
            messages.error(request, " ".join(exc.messages))
            return _member_page(request, membership, status=HTTPStatus.BAD_REQUEST)
        apply_form_errors(form, exc)
        return _member_page(
            request, membership, forms={form_name: form}, status=HTTPStatus.BAD_REQUEST
        )
    messages.success(request, message)
    return redirect("peersupport:moderation_member", membership_id=membership.pk)


@role_required(Role.PEER)
@require_POST
def mute_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    def act(membership, data):
        membership = services.member_mute(
            membership=membership,
            by=request.user,
            days=data["days"],
            reason=data["reason"],
            request=request,
        )
        until = timezone.localtime(membership.muted_until)
        return f"Their posting is paused until {until:%-d %B, %H:%M}. They have been told."

    form = MuteForm(request.POST, auto_id="id_mute_%s")
    return _member_action(request, membership_id, act, form=form, form_name="mute")


@role_required(Role.PEER)
@require_POST
def unmute_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    def act(membership, data):
        services.member_unmute(membership=membership, by=request.user, request=request)
        return "They can post again."

    return _member_action(request, membership_id, act)


@role_required(Role.PEER)
@require_POST
def member_remove_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    def act(membership, data):
        services.member_remove(
            membership=membership, by=request.user, reason=data["reason"], request=request
        )
        return "Removed from the group. They have been told, and cannot join it again."

    form = MemberRemoveForm(request.POST, auto_id="id_remove_%s")
    return _member_action(request, membership_id, act, form=form, form_name="remove")


@role_required(Role.PEER, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def reveal_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    """Who a member really is, for their own peer specialist and admins, with the reason
    recorded. The name is shown on this response only: never kept in the session or a message.
    Anyone else sees why not, and how to tell the clinician instead."""
    membership = selectors.membership_get_for_staff(user=request.user, membership_id=membership_id)
    context = {
        "membership": membership,
        "name": membership.member.peer_member.pseudonym,
        "is_moderator": request.user.role == Role.PEER,
    }
    if not permissions.can_reveal_identity(request.user, membership.member, membership.group):
        return _reveal_refused(request, context, "")
    form = RevealForm(_posted(request))
    identity = None
    if request.method == "POST" and form.is_valid():
        try:
            identity = services.identity_reveal(
                group=membership.group,
                member=membership.member,
                by=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except PermissionDenied as exc:
            return _reveal_refused(request, context, str(exc))
        except ValidationError as exc:
            apply_form_errors(form, exc)
    response = render(
        request,
        "peersupport/moderation/reveal.html",
        {**context, "form": form, "identity": identity},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )
    add_never_cache_headers(response)
    return response


def _reveal_refused(request: HttpRequest, context: dict, reason: str) -> HttpResponse:
    return render(
        request,
        "peersupport/moderation/reveal_refused.html",
        {
            **context,
            "reason": reason
            or "Only their care team and admins can see who a member is. If you are worried "
            "about them, tell their clinician.",
        },
        status=HTTPStatus.FORBIDDEN,
    )


# --- the moderation log ---------------------------------------------------------------------------


@role_required(Role.PEER, Role.ADMIN)
def log_view(request: HttpRequest) -> HttpResponse:
    """Every moderation action (who, what, when, why): admins see all groups, peer specialists
    their own groups'. Narrowed by group and by who acted."""
    groups, moderators = selectors.moderation_log_filters(user=request.user)
    form = LogFilterForm(request.GET or None, groups=groups, moderators=moderators)
    group_id = actor_id = None
    status = HTTPStatus.OK
    if form.is_bound:
        if form.is_valid():
            group_id = getattr(form.cleaned_data["group"], "pk", None)
            actor_id = getattr(form.cleaned_data["moderator"], "pk", None)
        else:
            status = HTTPStatus.BAD_REQUEST
            messages.error(request, "That filter is not one of the choices: showing everything.")
    actions = selectors.moderation_log_for(user=request.user, group_id=group_id, actor_id=actor_id)
    page = Paginator(actions, LOG_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    memberships = selectors.memberships_for_actions(actions=rows)
    query = request.GET.copy()
    query.pop("page", None)
    if status != HTTPStatus.OK:
        query = {}
    return render(
        request,
        "peersupport/moderation/log.html",
        {
            "form": form,
            "page": page,
            "rows": [
                {
                    "action": action,
                    "who": _who(request.user, action.actor),
                    "member": action.member.peer_member.pseudonym
                    if action.member_id and hasattr(action.member, "peer_member")
                    else "",
                    "membership_id": memberships.get((action.group_id, action.member_id)),
                }
                for action in rows
            ],
            "is_admin": request.user.role == Role.ADMIN,
            "query": query.urlencode() if query else "",
        },
        status=status,
    )


def _who(viewer, actor) -> str:
    if viewer.role == Role.ADMIN:
        return actor.full_name
    if actor.pk == viewer.pk:
        return "You"
    return actor.display_name
