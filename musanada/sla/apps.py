from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "musanada.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from musanada.sla.models import Holiday, SlaPolicy
        from musanada.sla.services import due_at_of_new, forget_reference_data, record
        from musanada.tickets import reactions

        # The clocks follow every ticket action (musanada.tickets.reactions); a new ticket is inserted with
        # its due time.
        reactions.register(record)
        reactions.register_filing_fields(due_at_of_new)
        # The holidays and targets the actions read from the cache are read again once the admin changes them.
        for model in (Holiday, SlaPolicy):
            uid = f"sla-forget-{model.__name__}"
            for signal in (post_save, post_delete):
                signal.connect(forget_reference_data, sender=model, dispatch_uid=uid)
