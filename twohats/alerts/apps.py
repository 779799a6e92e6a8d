from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "twohats.alerts"
    label = "alerts"
