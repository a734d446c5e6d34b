from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "musanada.web"
    label = "web"

    def ready(self):
        # The sign-in signal receivers (the throttle per address, the session's lifetime).
        from musanada.web import auth  # noqa: F401
