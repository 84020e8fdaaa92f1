"""Creating, checking and revoking API keys."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from activities.models import Organization
from api_keys.models import KEY_PREFIX, ApiKey

# last_used_at is written at most this often per key, so authenticating costs no write
# on most requests.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, org_ids: Iterable[str]) -> tuple[ApiKey, str]:
    """Create a key for these organisations; returns it and the raw key, shown only this once."""
    org_ids = sorted(set(org_ids))
    orgs = list(Organization.objects.filter(org_id__in=org_ids))
    unknown = set(org_ids) - {o.org_id for o in orgs}
    if unknown:
        raise ValueError(f"unknown organisation(s): {', '.join(sorted(unknown))}")
    if not orgs:
        raise ValueError("an API key needs at least one organisation")
    key = ApiKey(name=name)
    raw = api_key_assign_secret(key=key)
    key.save()
    key.organizations.set(orgs)
    return key, raw


def api_key_assign_secret(*, key: ApiKey) -> str:
    """Give an unsaved key a fresh prefix and secret; returns the raw key (not stored)."""
    key.prefix = secrets.token_hex(6)
    raw = f"{KEY_PREFIX}_{key.prefix}_{secrets.token_urlsafe(32)}"
    key.key_hash = _hash(raw)
    return raw


def api_key_check(*, raw_key: str) -> ApiKey | None:
    """The active key that ``raw_key`` is, or None (unknown, malformed, wrong secret, revoked)."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1].isalnum() or len(parts[1]) > 16:
        return None
    key = ApiKey.objects.filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(raw_key)):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_key_org_pks(*, key: ApiKey) -> frozenset[int]:
    """Primary keys of the organisations the key covers."""
    return frozenset(key.organizations.values_list("pk", flat=True))


# Sent after the commit that revoked keys, with ``key_pks``: open streams of those keys end
# (record_counts listens; this layer does not know about streams).
keys_revoked = Signal()


def api_keys_revoke(*, keys: Iterable[ApiKey]) -> int:
    """Revoke these keys now; returns how many were still active."""
    pks = [k.pk for k in keys]
    revoked = list(ApiKey.objects.filter(pk__in=pks, revoked_at__isnull=True).values_list("pk", flat=True))
    n = ApiKey.objects.filter(pk__in=revoked, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        transaction.on_commit(lambda: keys_revoked.send(sender=ApiKey, key_pks=revoked))
    return n


def api_key_still_covers(*, key_pk: int, org_pk: int) -> bool:
    """Whether the key is still active and still covers the organisation (an open stream
    re-checks this, so a revoked key's streams end)."""
    return ApiKey.objects.filter(pk=key_pk, revoked_at__isnull=True, organizations__pk=org_pk).exists()
