from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "musanada.api"
    label = "api"
    verbose_name = _("API")

    def ready(self):
        # Tokens revoked with the account's credentials (api/signals.py).
        from musanada.api import signals  # noqa: F401
