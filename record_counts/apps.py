from django.apps import AppConfig


class RecordCountsConfig(AppConfig):
    name = "record_counts"
    verbose_name = "Period record counts"

    def ready(self) -> None:
        from activities import events
        from record_counts import checks, relay  # noqa: F401 (checks registers the deploy checks)

        # Live streams follow committed activity changes (docs/stream.md).
        events.subscribe(relay.announce)
