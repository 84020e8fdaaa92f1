from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordCountsConfig(AppConfig):
    name = "record_counts"
    verbose_name = _("Period record counts")

    def ready(self) -> None:
        from activities import events
        from record_counts import checks, relay  # noqa: F401 (checks registers the deploy checks)

        # Live streams follow committed activity changes (docs/stream.md).
        events.subscribe(relay.announce)
