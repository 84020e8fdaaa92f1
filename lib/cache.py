"""Django's Redis cache, failing open when Redis is unreachable.

The cache holds rate-limit counters (counting endpoints, admin login) and the admin's
cached filter choices. With Redis every process (gunicorn workers, daphne, the cron job)
shares them, so a limit holds for the whole deployment instead of per process. When
Redis goes away, a cache call must not turn into a 500 or a hang: reads answer "nothing
cached", writes are dropped, and a warning is logged (at most once a minute). Limits
are not enforced until Redis is back; everything else keeps working.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
T = TypeVar("T")
_WARN_EVERY = 60.0
_last_warning = 0.0


def _fail_open(call: Callable[[], T], fallback: T, what: str) -> T:
    global _last_warning
    try:
        return call()
    except RedisError as exc:
        now = time.monotonic()
        if now - _last_warning >= _WARN_EVERY:
            _last_warning = now
            logger.warning("cache unavailable (%s failed: %s); rate limits are not enforced meanwhile", what, exc)
        return fallback


class FailOpenRedisCacheClient(RedisCacheClient):
    def get(self, key: Any, default: Any) -> Any:
        return _fail_open(lambda: super(FailOpenRedisCacheClient, self).get(key, default), default, "get")

    def get_many(self, keys: Any) -> Any:
        nothing: dict[Any, Any] = {}
        return _fail_open(lambda: super(FailOpenRedisCacheClient, self).get_many(keys), nothing, "get_many")

    def has_key(self, key: Any) -> Any:
        return _fail_open(lambda: super(FailOpenRedisCacheClient, self).has_key(key), False, "has_key")

    def add(self, key: Any, value: Any, timeout: Any) -> Any:
        return _fail_open(lambda: super(FailOpenRedisCacheClient, self).add(key, value, timeout), False, "add")

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        _fail_open(lambda: super(FailOpenRedisCacheClient, self).set(key, value, timeout), None, "set")

    def set_many(self, data: Any, timeout: Any) -> None:
        _fail_open(lambda: super(FailOpenRedisCacheClient, self).set_many(data, timeout), None, "set_many")

    def touch(self, key: Any, timeout: Any) -> Any:
        return _fail_open(lambda: super(FailOpenRedisCacheClient, self).touch(key, timeout), False, "touch")

    def incr(self, key: Any, delta: Any) -> Any:
        # Missing key: still a ValueError, as Django's contract says; unreachable: 0.
        return _fail_open(lambda: super(FailOpenRedisCacheClient, self).incr(key, delta), 0, "incr")

    def delete(self, key: Any) -> Any:
        return _fail_open(lambda: super(FailOpenRedisCacheClient, self).delete(key), False, "delete")

    def delete_many(self, keys: Any) -> None:
        _fail_open(lambda: super(FailOpenRedisCacheClient, self).delete_many(keys), None, "delete_many")

    def clear(self) -> Any:
        return _fail_open(lambda: super(FailOpenRedisCacheClient, self).clear(), False, "clear")


class FailOpenRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient


class NearCache:
    """A small process-local cache in front of the shared one, for values that can never
    change under their key (the key names the state they were computed from, as the
    count cache's keys hold the organisation's change marker).

    A hit costs a dictionary lookup instead of a Redis round trip (about 0.5 ms here).
    Entries expire after ``seconds`` like the shared cache's (which bounds how long a
    write that bypassed the change markers can go unseen), and the least recently used
    go first once ``max_entries`` are held. Thread-safe (daphne runs sync code in threads).
    """

    def __init__(self, *, max_entries: int, seconds: float) -> None:
        self.max_entries, self.seconds = max_entries, seconds
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        now = time.monotonic()
        found: dict[str, Any] = {}
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is None:
                    continue
                if entry[0] <= now:
                    del self._entries[key]
                    continue
                self._entries.move_to_end(key)
                found[key] = entry[1]
        return found

    def set_many(self, values: dict[str, Any]) -> None:
        expires = time.monotonic() + self.seconds
        with self._lock:
            for key, value in values.items():
                self._entries[key] = (expires, value)
                self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
