from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiKeysConfig(AppConfig):
    name = "api_keys"
    verbose_name = _("API access")

    def ready(self) -> None:
        from api_keys import checks  # noqa: F401  (registers the deploy checks)
