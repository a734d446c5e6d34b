from django.apps import AppConfig
from django.core.signals import request_finished


class CoreConfig(AppConfig):
    name = "musanada.core"
    label = "core"

    def ready(self):
        from musanada.core.logs import end_request

        # A request's lines stop carrying its id once it is answered (core/logs.py).
        request_finished.connect(end_request, dispatch_uid="musanada.core.logs.end_request")
