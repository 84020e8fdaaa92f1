from django.apps import AppConfig


class ApiKeysConfig(AppConfig):
    name = "api_keys"
    verbose_name = "API access"

    def ready(self) -> None:
        from api_keys import checks  # noqa: F401  (registers the deploy checks)
