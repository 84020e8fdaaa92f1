"""API keys: what a client presents (``Authorization: Bearer <key>``) to write in token mode."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# A key reads "bfd_<prefix>_<secret>": the prefix finds the row, the secret is checked
# against a SHA-256 hash. The secret has 256 bits of randomness, so a fast hash is
# enough (a slow password hash protects guessable secrets, which these are not).
KEY_PREFIX = "bfd"


class ApiKey(models.Model):
    """A client's key, valid for writing (and, in read-token mode, reading) its organisations' data."""

    name = models.CharField(
        _("name"), max_length=100, help_text=_("Who or what uses the key, e.g. 'Import job, Oslo office'.")
    )
    prefix = models.CharField(
        _("prefix"), max_length=16, unique=True, editable=False, help_text=_("Public part of the key.")
    )
    key_hash = models.CharField(
        _("key hash"), max_length=64, editable=False, help_text=_("SHA-256 of the whole key (hex).")
    )
    organizations = models.ManyToManyField(
        "activities.Organization",
        related_name="api_keys",
        verbose_name=_("organisations"),
        help_text=_("The organisations whose data this key may change."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(
        _("revoked at"), null=True, blank=True, help_text=_("Set to revoke the key; it stops working at once.")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({KEY_PREFIX}_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
