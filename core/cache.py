"""The Redis cache backend, made to carry on when Redis does not answer.

Everything the cache holds can be lost: throttling counts, the programme gate's answers (the
database decides), crisis resources (read again). So while Redis is down a read is a miss and
a write is skipped, instead of an error page for every request. `add` answers False, as if the
key were taken: what uses it as a lock or a "seen once" mark fails closed (a TOTP code cannot be
checked for replay, so it is refused; allauth's login rate limit cannot take its lock, so it
refuses the attempt). Every request that needs no cache goes on as usual.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
WARN_EVERY_SECONDS = 10.0
_last_warning = 0.0


def _unreachable(operation: str) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_SECONDS:  # one line per process every few seconds
        _last_warning = now
        logger.warning("cache unreachable (%s); carrying on without it", operation)


class _ReusedClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` for every cache call (its constructor fills
    a table of some 170 response callbacks: about 0.2 ms of CPU, 22 times per view of the
    patient's home before the gates were kept per request). One per connection pool is enough:
    a `redis.Redis` is safe to share, and Django's cache handler gives each thread its own
    backend, hence its own client and pools."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._redis_by_pool: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._redis_by_pool.get(id(pool))
        if client is None:
            client = self._redis_by_pool[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        # One quick retry, no backoff: a Redis that refuses connections must cost a request
        # milliseconds, not the client library's default of three retries with backoff.
        options = {"retry": Retry(NoBackoff(), 1), **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = _ReusedClient

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNREACHABLE:
            _unreachable("get")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNREACHABLE:
            _unreachable("get_many")
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except UNREACHABLE:
            _unreachable("has_key")
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except UNREACHABLE:
            _unreachable("add")
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE:
            _unreachable("set")

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE:
            _unreachable("set_many")
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except UNREACHABLE:
            _unreachable("touch")
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNREACHABLE:
            _unreachable("delete")
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except UNREACHABLE:
            _unreachable("delete_many")
