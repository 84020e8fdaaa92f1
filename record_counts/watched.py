"""The watched ranges of held (GRIP) streams: which ranges the publisher keeps publishing.

Bounded and cheap, and never on a write's path (a write only announces, as before; the
publisher reads this registry, not the writer):

- an entry is (organisation, range), kept until ``expires`` (now + 2.5 times the next-link
  interval ``GRIP_NEXT_SECONDS``); every held stream's next-link request refreshes it,
  so a range nobody holds any more drops out within that time;
- at most ``GRIP_WATCH_PER_ORG`` ranges per organisation and ``GRIP_WATCH_MAX`` in all:
  a new range beyond either cap is refused (the stream gets a 503 with Retry-After),
  a range already watched is always refreshed. Anonymous readers can only name existing
  organisations, so the registry and the publisher's work per announcement (a scan of
  that organisation's ranges) stay bounded however many ranges they ask for;
- next to each entry, the id of the last count the publisher sent on its channel
  (``last``), which next-link requests compare with the client's, so a stream that is
  current costs no count query.

With ``REDIS_URL`` it lives in Redis (every app process registers, the one publisher
reads); without it, in this process (one process serving and publishing).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from lib.timeranges import DateTimeRange

EXPIRY_FACTOR = 2.5
REFRESH_SECONDS = 5.0


@dataclass(frozen=True)
class Watched:
    org_pk: int
    org_id: str
    time_range: DateTimeRange

    def member(self) -> str:
        return f"{self.org_pk}|{self.org_id}|{self.time_range.start.isoformat()}|{self.time_range.end.isoformat()}"

    @classmethod
    def from_member(cls, raw: str | bytes) -> Watched:
        text = raw.decode() if isinstance(raw, bytes) else raw
        org_pk, org_id, start, end = text.split("|")
        return cls(int(org_pk), org_id, DateTimeRange(dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)))


def ttl() -> float:
    return float(settings.GRIP_NEXT_SECONDS) * EXPIRY_FACTOR


class LocalRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.expires: dict[Watched, float] = {}
        self.last: dict[Watched, str] = {}

    def watch(self, entry: Watched, served: str, *, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            self._expire(now)
            if entry not in self.expires:
                per_org = sum(1 for w in self.expires if w.org_pk == entry.org_pk)
                if per_org >= settings.GRIP_WATCH_PER_ORG or len(self.expires) >= settings.GRIP_WATCH_MAX:
                    return False
                self.last.setdefault(entry, served)
            self.expires[entry] = now + ttl()
            return True

    def _expire(self, now: float) -> None:
        for entry in [w for w, until in self.expires.items() if until <= now]:
            del self.expires[entry]
            self.last.pop(entry, None)

    def alive(self, *, now: float | None = None) -> dict[Watched, str | None]:
        with self._lock:
            self._expire(time.time() if now is None else now)
            return {w: self.last.get(w) for w in self.expires}

    def last_id(self, entry: Watched) -> str | None:
        return self.last.get(entry)

    def set_last(self, entry: Watched, last: str) -> None:
        self.last[entry] = last


class RedisRegistry:
    """Sorted sets scored by expiry: ``all`` and one per organisation; a hash of last ids."""

    def __init__(self, client: Any) -> None:
        self.client = client
        prefix = f"{settings.EVENTS_CHANNEL_PREFIX}grip-watched"
        self.all_key, self.org_prefix, self.last_key = f"{prefix}:all", f"{prefix}:org:", f"{prefix}:last"
        # Entries this process registered lately, and when: a thousand screens opening
        # one range refresh it in Redis once per REFRESH_SECONDS, not once each.
        self._refreshed: dict[str, float] = {}

    def watch(self, entry: Watched, served: str, *, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        member, org_key = entry.member(), f"{self.org_prefix}{entry.org_pk}"
        refreshed = self._refreshed.get(member)
        if refreshed is not None and now - refreshed < min(REFRESH_SECONDS, ttl() / 10):
            return True  # watched, and its expiry was pushed back moments ago
        pipe = self.client.pipeline()
        pipe.zremrangebyscore(self.all_key, "-inf", now)
        pipe.zremrangebyscore(org_key, "-inf", now)
        pipe.zscore(self.all_key, member)
        pipe.zcard(org_key)
        pipe.zcard(self.all_key)
        _, _, score, per_org, total = pipe.execute()
        if score is None and (per_org >= settings.GRIP_WATCH_PER_ORG or total >= settings.GRIP_WATCH_MAX):
            return False  # (two racing registrations may overshoot the cap by one each: still bounded)
        until = now + ttl()
        pipe = self.client.pipeline()
        pipe.zadd(self.all_key, {member: until})
        pipe.zadd(org_key, {member: until})
        pipe.expire(org_key, int(ttl()) + 1)
        pipe.hsetnx(self.last_key, member, served)
        pipe.execute()
        if len(self._refreshed) >= settings.GRIP_WATCH_MAX:
            self._refreshed.clear()
        self._refreshed[member] = now
        return True

    def alive(self, *, now: float | None = None) -> dict[Watched, str | None]:
        now = time.time() if now is None else now
        gone = self.client.zrangebyscore(self.all_key, "-inf", now)
        if gone:
            pipe = self.client.pipeline()
            pipe.zremrangebyscore(self.all_key, "-inf", now)
            pipe.hdel(self.last_key, *gone)
            pipe.execute()
        members = self.client.zrangebyscore(self.all_key, now, "+inf")
        lasts = self.client.hmget(self.last_key, members) if members else []
        decoded = [v.decode() if isinstance(v, bytes) else v for v in lasts]
        return {Watched.from_member(m): v for m, v in zip(members, decoded, strict=True)}

    def last_id(self, entry: Watched) -> str | None:
        value = self.client.hget(self.last_key, entry.member())
        return value.decode() if isinstance(value, bytes) else value

    def set_last(self, entry: Watched, last: str) -> None:
        self.client.hset(self.last_key, entry.member(), last)


_local = LocalRegistry()
_redis: RedisRegistry | None = None


def registry() -> LocalRegistry | RedisRegistry:
    global _redis
    if not getattr(settings, "EVENTS_REDIS", None):
        return _local
    if _redis is None:
        import redis

        from record_counts.relay import redis_kwargs

        _redis = RedisRegistry(redis.Redis(**redis_kwargs()))
    return _redis
