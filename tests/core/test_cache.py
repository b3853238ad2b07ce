"""The Redis cache carries on without Redis: a miss, not an error page (core/cache.py)."""

from __future__ import annotations

import os
import socket
import time

import pytest

from core.cache import ResilientRedisCache


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


def test_an_unreachable_redis_is_a_quick_miss_and_add_fails_closed(caplog):
    cache = ResilientRedisCache(
        f"redis://127.0.0.1:{_closed_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}},
    )
    started = time.monotonic()
    assert cache.get("key", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("key") is False
    assert cache.add("code-used", "y", 30) is False  # as if taken: replay checks fail closed
    cache.set("key", "value", 30)
    assert cache.set_many({"a": 1}) == ["a"]
    assert cache.touch("key") is False
    assert cache.delete("key") is False
    cache.delete_many(["a", "b"])
    assert time.monotonic() - started < 1.0
    assert "cache unreachable" in caplog.text


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis")
def test_a_reachable_redis_is_an_ordinary_cache():
    cache = ResilientRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "test-resilient"})
    cache.delete("key")
    assert cache.add("key", "first", 30) is True
    assert cache.add("key", "second", 30) is False
    assert cache.get("key") == "first"
    cache.delete("key")
    assert cache.get("key", "gone") == "gone"
