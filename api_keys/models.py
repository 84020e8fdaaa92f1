"""API keys: what a client presents (``Authorization: Bearer <key>``) to write in token mode."""

from __future__ import annotations

from django.db import models

# A key reads "bfd_<prefix>_<secret>": the prefix finds the row, the secret is checked
# against a SHA-256 hash. The secret has 256 bits of randomness, so a fast hash is
# enough (a slow password hash protects guessable secrets, which these are not).
KEY_PREFIX = "bfd"


class ApiKey(models.Model):
    """A client's key, valid for writing (and, in read-token mode, reading) its organisations' data."""

    name = models.CharField(max_length=100, help_text="Who or what uses the key, e.g. 'Import job, Oslo office'.")
    prefix = models.CharField(max_length=16, unique=True, editable=False, help_text="Public part of the key.")
    key_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the whole key (hex).")
    organizations = models.ManyToManyField(
        "activities.Organization",
        related_name="api_keys",
        help_text="The organisations whose data this key may change.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Set to revoke the key; it stops working at once."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({KEY_PREFIX}_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
