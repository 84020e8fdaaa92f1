"""``Idempotency-Key`` on POST (Stripe's semantics): a retried create never writes twice.

- No header: the request runs as always.
- A new key: the request runs, and its response (status, body, ``Location``) is stored
  with the key in the same transaction as the write.
- The same key and the same body again (within 24 hours): the stored response is
  replayed with ``Idempotent-Replayed: true``; nothing runs, nothing is written.
- The same key with another body: 422 problem.
- A request that fails (any 4xx or 5xx raised by the view, a database outage) stores
  nothing: the write rolled back with the key, so retrying with that key runs it again.
- Two requests with one key at once: the second waits at the key's unique index until
  the first commits, then replays its response (PostgreSQL; SQLite runs writers one at
  a time anyway). Never two writes, and no 409 to handle.

Keys are scoped per endpoint and per owner (``key_owner``). Expired keys (older than
``KEY_TTL``) count as absent; ``manage.py purge_idempotency_keys`` deletes them.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from idempotency.models import IdempotencyKey
from lib.api.schema import IDEMPOTENCY_HEADER

HEADER = IDEMPOTENCY_HEADER
KEY_TTL = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255


class KeyReused(APIException):
    status_code = 422
    default_detail = f"This {HEADER} was already used with a different request body; use a new key."
    default_code = "idempotency_key_reused"


def key_owner(request: Request) -> str:
    """Whose key namespace a request uses: the authenticated user's id, else "" (public API).

    The hook for token mode: once writes need a token, each owner's keys are their own.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    api_key = getattr(user, "key", None)  # lib.api.access.KeyHolder: no pk of its own
    if api_key is not None:
        return f"api-key:{api_key.pk}"
    return f"user:{user.pk}"


def request_fingerprint(data: Any) -> str:
    """SHA-256 of the parsed body as canonical JSON: key order and spacing do not matter."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _valid_key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise ValidationError({HEADER: [f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."]})
    return key


def _replay(stored: IdempotencyKey) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    body = json.loads(stored.response_body) if stored.response_body else None
    return Response(body, status=stored.status_code, headers=headers)


def idempotent_response(*, request: Request, endpoint: str, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` at most once per (owner, endpoint, Idempotency-Key); see the module doc."""
    key = _valid_key(request)
    if key is None:
        return handler()
    fingerprint = request_fingerprint(request.data)
    scope = {"owner": key_owner(request), "endpoint": endpoint, "key": key}
    now = timezone.now()
    with transaction.atomic():
        IdempotencyKey.objects.filter(**scope, created_at__lt=now - KEY_TTL).delete()  # expired: absent
        try:
            with transaction.atomic():
                claim = IdempotencyKey.objects.create(**scope, fingerprint=fingerprint, status_code=0, created_at=now)
        except IntegrityError:
            # Another request holds (or held) this key; on PostgreSQL the insert above
            # waited until that request committed, so its response is stored now.
            stored = IdempotencyKey.objects.get(**scope)
            if stored.fingerprint != fingerprint:
                raise KeyReused() from None
            return _replay(stored)
        response = handler()  # an exception rolls back the write and the claim alike
        claim.status_code = response.status_code
        claim.response_body = json.dumps(response.data, cls=DjangoJSONEncoder)
        claim.location = response.headers.get("Location", "")
        claim.save(update_fields=["status_code", "response_body", "location"])
    return response


V = TypeVar("V", bound=Callable[..., Response])


def idempotent(endpoint: str) -> Callable[[V], V]:
    """Decorate a viewset's ``create`` so that it honours ``Idempotency-Key``."""

    def decorate(method: V) -> V:
        @functools.wraps(method)
        def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            return idempotent_response(
                request=request, endpoint=endpoint, handler=lambda: method(self, request, *args, **kwargs)
            )

        return wrapper  # type: ignore[return-value]

    return decorate


def keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete expired keys; returns how many."""
    cutoff = (now or timezone.now()) - KEY_TTL
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
