from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "musanada.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self):
        from musanada.sla.services import record
        from musanada.tickets import reactions

        # The clocks follow every ticket action (musanada.tickets.reactions).
        reactions.register(record)
