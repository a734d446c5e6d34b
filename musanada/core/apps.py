from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "musanada.core"
    label = "core"
