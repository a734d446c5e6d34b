from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "musanada.reports"
    label = "reports"

    def ready(self):
        # Registers the periodic rollup with the jobs app.
        from musanada.reports import jobs  # noqa: F401
