"""bench/web.py's URLconf: every route of the product, plus /bench/floor/, a bare Django view that
reads one row by primary key and answers a few bytes (the framework's floor, measured beside the
pages in the same run; `?reads=N` reads it N more times). Used only by bench/web_settings.py."""

from __future__ import annotations

import os

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from accounts.models import User
from config.urls import handler403, handler404, handler500
from config.urls import urlpatterns as product_urlpatterns

FLOOR_PK = int(os.environ.get("BENCH_FLOOR_PK", "1"))


# ?reads=N: N more primary-key reads, the same as the floor's (bench/web.py's query ladder: what
# each query costs a page, at the least, against the floor's throughput).
MAX_EXTRA_READS = 20


def floor_view(request: HttpRequest) -> HttpResponse:
    try:
        extra = min(max(int(request.GET.get("reads", "0")), 0), MAX_EXTRA_READS)
    except ValueError:
        extra = 0
    row = None
    for _ in range(1 + extra):
        row = User.objects.filter(pk=FLOOR_PK).values_list("pk", flat=True).first()
    return HttpResponse(f"floor {row}", content_type="text/plain")


class QueryCountMiddleware:
    """Outermost: counts the database queries of the whole request (sessions, middleware, view)
    and sends the count in X-Bench-Queries."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(count)
        return response


urlpatterns = [path("bench/floor/", floor_view, name="bench_floor"), *product_urlpatterns]
__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
