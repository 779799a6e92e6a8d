from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "twohats.health"
    label = "health"
