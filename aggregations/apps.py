from django.apps import AppConfig


class AggregationsConfig(AppConfig):
    name = "aggregations"
    verbose_name = "Bufdir aggregations"
