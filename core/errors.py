"""Error pages in the product's look, each with the way to crisis help."""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def permission_denied_view(request: HttpRequest, exception=None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"detail": "You do not have permission to do this.", "code": "permission_denied"},
            status=HTTPStatus.FORBIDDEN,
        )
    return HttpResponse(
        render_to_string("errors/403.html", request=request), status=HTTPStatus.FORBIDDEN
    )


def page_not_found_view(request: HttpRequest, exception=None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"detail": "Not found.", "code": "not_found"}, status=HTTPStatus.NOT_FOUND
        )
    return HttpResponse(
        render_to_string("errors/404.html", request=request), status=HTTPStatus.NOT_FOUND
    )


def server_error_view(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"detail": "Something went wrong on our side.", "code": "server_error"},
            status=HTTPStatus.INTERNAL_SERVER_ERROR,
        )
    # No context processors: they may need the database that just failed.
    return HttpResponse(
        render_to_string("errors/500.html"), status=HTTPStatus.INTERNAL_SERVER_ERROR
    )
