from django.apps import AppConfig


class RecordCountsConfig(AppConfig):
    name = "record_counts"
    verbose_name = "Period record counts"

    def ready(self) -> None:
        from record_counts import relay

        relay.install()
