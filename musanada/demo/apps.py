from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "musanada.demo"
    label = "demo"
