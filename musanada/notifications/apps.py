from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "musanada.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from musanada.notifications.services import notify
        from musanada.tickets import reactions

        # Every ticket action tells whom it concerns (musanada.tickets.reactions).
        reactions.register(notify)
