from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AggregationsConfig(AppConfig):
    name = "aggregations"
    verbose_name = _("Bufdir aggregations")
