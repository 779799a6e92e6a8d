from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "twohats.demo"
    label = "demo"
