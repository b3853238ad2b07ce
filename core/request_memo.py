"""Answers kept for the length of one web request.

The programme and study gates (onboarding/gate.py, trials/gate.py) are asked by a middleware, by
the context processors of the page and again by each section a page renders with the request
(accounts/sections.py runs the context processors for every section): the patient's home asked
each gate eight times, 22 Redis round trips per view. Within one request the answer cannot
usefully change unless this request changes it, and then the gate's `*_forget` forgets it here
too.

Outside a request (a Celery task, a management command, a test calling a gate directly) nothing
is kept: every call computes. A request starts with nothing kept (`request_started`) and what it
kept is dropped when it ends (`request_finished`), so nothing outlives its request. A context
variable, not a thread-local, so that under ASGI the sync view's thread sees what the request
started with.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

from django.core.signals import request_finished, request_started

T = TypeVar("T")

_answers: ContextVar[dict | None] = ContextVar("exhale_request_memo", default=None)


def _begin(**kwargs) -> None:
    _answers.set({})


def _end(**kwargs) -> None:
    _answers.set(None)


request_started.connect(_begin, dispatch_uid="core.request_memo.begin")
request_finished.connect(_end, dispatch_uid="core.request_memo.end")


def remembered(namespace: str, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, once per request for (namespace, key); every time outside a request."""
    answers = _answers.get()
    if answers is None:
        return compute()
    kept = answers.setdefault(namespace, {})
    if key not in kept:
        kept[key] = compute()
    return kept[key]


def forget(namespace: str, key: Hashable | None = None) -> None:
    """Drop what this request kept for `key` (all of the namespace when None)."""
    answers = _answers.get()
    if not answers or namespace not in answers:
        return
    if key is None:
        del answers[namespace]
    else:
        answers[namespace].pop(key, None)
