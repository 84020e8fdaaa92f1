from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """A POST's ``Idempotency-Key`` and the response it got, replayed for a retry of it.

    One row per (owner, endpoint, key): the unique constraint is what makes two
    concurrent requests with one key write once. The row is inserted in the same
    transaction as the write it guards, so both are there or neither is.
    """

    # Whose key it is: empty while the API is public; the authenticated user's id once
    # writes need a token (idempotency.services.key_owner), so owners never share keys.
    owner = models.CharField(max_length=150, blank=True, default="")
    endpoint = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the canonical JSON request body.")
    status_code = models.PositiveSmallIntegerField()
    # JSON text, not a JSONField: jsonb would reorder the keys, and a replay is the
    # first response as it was sent.
    response_body = models.TextField(blank=True, default="")
    location = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "endpoint", "key"],
                name="idempotency_key_unique",
                violation_error_message=_("This idempotency key has already been used for this endpoint."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"
