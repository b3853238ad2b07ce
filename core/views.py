"""Views of the shared mechanisms: /health/ and the user's own notices."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import health, selectors, services


@never_cache
@require_GET
def health_view(request: HttpRequest) -> JsonResponse:
    """Readiness for load balancers and operators: 200 when the database, broker and cache
    answer, 503 when one does not. The beat heartbeat is reported, not required."""
    ready, body = health.run_checks()
    return JsonResponse(body, status=HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE)


@login_required
@require_GET
def notification_list_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notification_list(recipient=request.user), 20).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notification_list.html", {"page": page})


@login_required
@require_POST
def notification_read_view(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = selectors.notification_get_for_recipient(
        recipient=request.user, notification_id=notification_id
    )
    services.notification_mark_read(notification=notification)
    target = notification.url
    if request.POST.get("open") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("core:notification_list")


@login_required
@require_POST
def notification_read_all_view(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(recipient=request.user)
    return redirect("core:notification_list")
