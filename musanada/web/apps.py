from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "musanada.web"
    label = "web"
