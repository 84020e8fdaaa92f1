from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordCountsConfig(AppConfig):
    name = "record_counts"
    verbose_name = _("Period record counts")

    def ready(self) -> None:
        from activities import events
        from api_keys.services import keys_revoked
        from record_counts import checks, relay  # noqa: F401 (checks registers the deploy checks)

        # Live streams follow committed activity changes (docs/stream.md).
        events.subscribe(relay.announce)
        # A revoked key's held streams end (a close on the key's channel, docs/stream.md).
        keys_revoked.connect(_close_revoked_streams, dispatch_uid="record_counts.close_revoked")


def _close_revoked_streams(sender: object, key_pks: list[int], **kwargs: object) -> None:
    from record_counts import grip

    grip.close_channels(grip.key_channel(pk) for pk in key_pks)
