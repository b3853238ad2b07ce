"""The members' pages of the peer groups: choosing a group name, the community guidelines,
joining and leaving groups, reading and starting conversations, replying, encouraging, reporting,
and what happened to one's own posts.

Each view resolves access (a group one is not in, a post one may not see: 404), validates the
form, calls one service and redirects. The services say what is allowed; their ValidationErrors
are shown next to the field with a 400 status and nothing saved. A post that sounds like a crisis
takes its author straight to crisis support.
"""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.models import Role
from core.forms import apply_form_errors
from peersupport import selectors, services
from peersupport.forms.member import (
    CHECK_REGION_ID,
    GuidelinesForm,
    PostForm,
    PseudonymForm,
    ReportForm,
)
from peersupport.models import Membership, PeerGroup, Post
from safety.screening import screen_text

THREADS_PER_PAGE = 20
MY_POSTS_PER_PAGE = 20
# The live check reads the start of a draft: enough to warn, cheap on every pause in typing.
CHECK_MAX_CHARS = 10_000

HELD_MESSAGE = (
    "Thanks. Your post is waiting for a peer specialist to read it; only you can see it until then."
)
REPORTED_MESSAGE = "Thank you. A peer specialist will look at it."


def _data(request: HttpRequest):
    """The form data of a POST, even an empty one (an empty POST is refused, not a new form)."""
    return request.POST if request.method == "POST" else None


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _safe_next(request: HttpRequest, default: str) -> str:
    """Where to go next: the ?next= page when it is on this site, else `default`."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default


def _decorate(posts, *, reader=None, reactions=None, reported=frozenset()) -> None:
    """What the templates show beside each post, worked out once here, never per post in SQL.
    `by_reader`: the reader wrote it (a post's fragment is keyed by this, not by the reader)."""
    for post in posts:
        post.reason_for_you = post.reason_for_author
        post.reported = post.pk in reported
        post.by_reader = reader is not None and post.author_id == reader.pk
        if reactions is not None and post.status == Post.Status.PUBLISHED:
            post.reaction_choices = reactions[post.pk].choices()
        else:
            post.reaction_choices = []


def _muted_until(membership: Membership):
    return membership.muted_until if membership.is_muted() else None


def _after_post(request: HttpRequest, result: services.PostResult) -> HttpResponse:
    """Crisis support at once; otherwise the conversation, saying what happened to the post."""
    if result.crisis:
        return redirect("safety:crisis_support")
    post = result.post
    if post.status == Post.Status.HELD:
        messages.info(request, f"{HELD_MESSAGE} Why: {post.reason_for_author}")
    else:
        messages.success(request, "Posted.")
    if post.parent_id is None:
        return redirect(post.get_absolute_url())
    # A reply is the newest of its conversation: on the last page of replies.
    thread_url = reverse("peersupport:thread", args=[post.group.slug, post.parent_id])
    return redirect(f"{thread_url}?page=last#post-{post.pk}")


# --- Getting ready: a group name and the guidelines -----------------------------------------------


@role_required(Role.PATIENT)
def groups_view(request: HttpRequest) -> HttpResponse:
    """The patient's groups and the open groups they can join, and what to do first."""
    member = selectors.peer_member_for(user=request.user)
    guidelines_current = (
        member is not None and member.guidelines_version == services.GUIDELINES_VERSION
    )
    groups = list(selectors.groups_for_patient(user=request.user))
    return render(
        request,
        "peersupport/member/groups.html",
        {
            "member": member,
            "guidelines_current": guidelines_current,
            "ready": guidelines_current,
            "my_groups": [group for group in groups if group.is_member],
            "open_groups": [group for group in groups if not group.is_member],
        },
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def pseudonym_view(request: HttpRequest) -> HttpResponse:
    """Choose or change the name the patient goes by in every group."""
    member = selectors.peer_member_for(user=request.user)
    form = PseudonymForm(_data(request), initial={"pseudonym": member.pseudonym if member else ""})
    if request.method == "POST" and form.is_valid():
        try:
            member = services.peer_member_set_pseudonym(
                user=request.user, pseudonym=form.cleaned_data["pseudonym"]
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, f"Saved. In the groups, you are {member.pseudonym}.")
            if member.guidelines_version != services.GUIDELINES_VERSION:
                default = reverse("peersupport:guidelines")
            else:
                default = reverse("peersupport:groups")
            return redirect(_safe_next(request, default))
    return render(
        request,
        "peersupport/member/pseudonym.html",
        {"form": form, "member": member, "next": _safe_next(request, "")},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def guidelines_view(request: HttpRequest) -> HttpResponse:
    """The community guidelines in plain words, and "I agree"."""
    member = selectors.peer_member_for(user=request.user)
    form = GuidelinesForm(_data(request), initial={"version": services.GUIDELINES_VERSION})
    if request.method == "POST" and form.is_valid():
        try:
            services.guidelines_accept(user=request.user, version=form.cleaned_data["version"])
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, "Thank you. You can join groups now.")
            return redirect(_safe_next(request, reverse("peersupport:groups")))
    return render(
        request,
        "peersupport/member/guidelines.html",
        {
            "form": form,
            "member": member,
            "accepted": member is not None
            and member.guidelines_version == services.GUIDELINES_VERSION,
            # Always the version in force: a stale one sent back must not be sent again.
            "version": services.GUIDELINES_VERSION,
            "premoderated_posts": settings.PEERSUPPORT_PREMODERATED_POSTS,
            "next": _safe_next(request, ""),
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


# --- Joining and leaving --------------------------------------------------------------------------


@role_required(Role.PATIENT)
@require_POST
def group_join_view(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.group_get_by_slug(slug=slug)
    try:
        services.group_join(user=request.user, group=group)
    except PermissionDenied as exc:
        raise Http404("No such group.") from exc
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("peersupport:groups")
    messages.success(
        request,
        f"Welcome to {group.name}. Start with the post at the top: it says what the group is "
        "about.",
    )
    return redirect("peersupport:group", slug=group.slug)


@role_required(Role.PATIENT)
@require_POST
def group_leave_view(request: HttpRequest, slug: str) -> HttpResponse:
    group = selectors.group_get_by_slug(slug=slug)
    try:
        services.group_leave(user=request.user, group=group)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, f"You have left {group.name}. What you posted stays, under your group name."
        )
    return redirect("peersupport:groups")


# --- A group and its conversations ----------------------------------------------------------------


@role_required(Role.PATIENT)
def group_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The welcome post ("Start here"), then the conversations, pinned first, newest next."""
    group, membership = selectors.group_get_for_member(user=request.user, slug=slug)
    return _group_page(request, group, membership, PostForm())


def _group_page(request, group: PeerGroup, membership: Membership, form, status=HTTPStatus.OK):
    page = Paginator(
        selectors.group_threads_for(user=request.user, group=group), THREADS_PER_PAGE
    ).get_page(request.GET.get("page"))
    _decorate(page.object_list)
    return render(
        request,
        "peersupport/member/group.html",
        {
            "group": group,
            "membership": membership,
            "muted_until": _muted_until(membership),
            "welcome": selectors.group_welcome_post(group=group) if page.number == 1 else None,
            "page": page,
            "form": form,
            "check_region_id": CHECK_REGION_ID,
        },
        status=status,
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def post_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Start a conversation. The group page has the form; this page is it alone (and where a
    post that cannot be sent comes back, with the reason and the words kept)."""
    group, membership = selectors.group_get_for_member(user=request.user, slug=slug)
    form = PostForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            result = services.post_create(
                author=request.user, group=group, body=form.cleaned_data["body"]
            )
        except PermissionDenied as exc:
            raise Http404("You are not in that group.") from exc
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            return _after_post(request, result)
    return render(
        request,
        "peersupport/member/post_form.html",
        {
            "group": group,
            "form": form,
            "muted_until": _muted_until(membership),
            "check_region_id": CHECK_REGION_ID,
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.PATIENT)
def thread_view(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    group, membership = selectors.group_get_for_member(user=request.user, slug=slug)
    thread = selectors.thread_get_for_member(user=request.user, group=group, thread_id=thread_id)
    return _thread_page(request, group, membership, thread, PostForm(label="Your reply"))


# A page a cheap phone draws quickly (the opening post and 20 replies: about 60 KB of HTML,
# 5 KB sent); `?page=last` is where a new reply lands.
REPLIES_PER_PAGE = 20


def _thread_page(request, group, membership, thread, form, status=HTTPStatus.OK) -> HttpResponse:
    """The opening post and one page of replies; `?page=last` (where a new reply lands) is the
    last page."""
    paginator = Paginator(
        selectors.thread_replies_for(user=request.user, thread=thread), REPLIES_PER_PAGE
    )
    number = request.GET.get("page")
    page = paginator.get_page(paginator.num_pages if number == "last" else number)
    posts = [thread, *page.object_list]
    _decorate(
        posts,
        reader=request.user,
        reactions=selectors.reactions_for(user=request.user, posts=posts),
        reported={post.pk for post in posts if post.reported_by_reader},
    )
    return render(
        request,
        "peersupport/member/thread.html",
        {
            "group": group,
            "thread": thread,
            "opening": posts[0],
            "replies": posts[1:],
            "page": page,
            "muted_until": _muted_until(membership),
            "form": form,
            "check_region_id": CHECK_REGION_ID,
        },
        status=status,
    )


@role_required(Role.PATIENT)
@require_POST
def reply_create_view(request: HttpRequest, slug: str, thread_id: int) -> HttpResponse:
    group, membership = selectors.group_get_for_member(user=request.user, slug=slug)
    thread = selectors.thread_get_for_member(user=request.user, group=group, thread_id=thread_id)
    form = PostForm(request.POST, label="Your reply")
    if form.is_valid():
        try:
            result = services.post_create(
                author=request.user, group=group, body=form.cleaned_data["body"], parent=thread
            )
        except PermissionDenied as exc:
            raise Http404("You are not in that group.") from exc
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            return _after_post(request, result)
    return _thread_page(request, group, membership, thread, form, status=HTTPStatus.BAD_REQUEST)


# --- Live check, reactions, reports ---------------------------------------------------------------


@role_required(Role.PATIENT)
def post_check_view(request: HttpRequest) -> HttpResponse:
    """As the person writes (htmx): a gentle word about personal details or crisis language.
    Saves nothing; the screen at posting still decides."""
    text = request.POST.get("body") if request.method == "POST" else None
    if text is None:
        return HttpResponse("Send the text to check.", status=HTTPStatus.BAD_REQUEST)
    verdict = screen_text(text[:CHECK_MAX_CHARS])
    personal: list[str] = []
    if "personal_info" in verdict.categories:
        for item in verdict.evidence:
            reason = item.reason.split(" - ")[0]
            if item.category == "personal_info" and reason not in personal:
                personal.append(reason)
    return render(
        request,
        "peersupport/member/_check.html",
        {"personal": personal, "crisis": "crisis" in verdict.categories},
    )


@role_required(Role.PATIENT)
@require_POST
def reaction_view(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    """Encourage a post (kind=<kind>), or take the encouragement back (remove=<kind>: the
    button pressed in the post's one form says which). With htmx, only the post's reactions are
    sent back, so the page stays where it is."""
    group, _membership = selectors.group_get_for_member(user=request.user, slug=slug)
    post = selectors.post_get_for_member(user=request.user, group=group, post_id=post_id)
    remove = request.POST.get("remove", "")
    if remove == "1":
        # A form per kind with remove=1, as pages asked before one form per post: a page left
        # open in a browser across a deployment still works.
        kind, removing = request.POST.get("kind", ""), True
    else:
        kind, removing = (remove, True) if remove else (request.POST.get("kind", ""), False)
    error = ""
    try:
        if removing:
            services.reaction_remove(member=request.user, post=post, kind=kind)
        else:
            services.reaction_add(member=request.user, post=post, kind=kind)
    except PermissionDenied as exc:
        raise Http404("No such post.") from exc
    except ValidationError as exc:
        error = _error_text(exc)
    if request.htmx:
        _decorate([post], reactions=selectors.reactions_for(user=request.user, posts=[post]))
        return render(
            request,
            "peersupport/member/_reactions.html",
            {"group": group, "post": post, "reaction_error": error},
        )
    if error:
        messages.error(request, error)
    return redirect(post.get_absolute_url())


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def report_view(request: HttpRequest, slug: str, post_id: int) -> HttpResponse:
    """Tell the group's peer specialists about a post, with a reason."""
    group, _membership = selectors.group_get_for_member(user=request.user, slug=slug)
    post = selectors.post_get_for_member(user=request.user, group=group, post_id=post_id)
    form = ReportForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(reporter=request.user, post=post, **form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404("No such post.") from exc
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, REPORTED_MESSAGE)
            return redirect(post.get_absolute_url())
    own = post.author_id == request.user.pk
    return render(
        request,
        "peersupport/member/report.html",
        {
            "group": group,
            "post": post,
            "form": form,
            "own": own,
            "already": not own
            and post.pk in selectors.reported_by(user=request.user, posts=[post]),
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


# --- My posts -------------------------------------------------------------------------------------


@role_required(Role.PATIENT)
def my_posts_view(request: HttpRequest) -> HttpResponse:
    """Everything the member has posted, and what happened to each, in plain words."""
    page = Paginator(selectors.posts_by_author(user=request.user), MY_POSTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    _decorate(page.object_list)
    in_groups = {
        group.pk for group in selectors.groups_for_patient(user=request.user) if group.is_member
    }
    return render(
        request, "peersupport/member/my_posts.html", {"page": page, "in_groups": in_groups}
    )
