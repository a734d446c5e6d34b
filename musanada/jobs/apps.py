from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "musanada.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self):
        # Every process (web, worker, beat, commands) must know every handler and periodic job, so each
        # app's `jobs.py` is imported here rather than wherever a handler happens to be first needed.
        from musanada.jobs import builtin  # noqa: F401

        autodiscover_modules("jobs")
