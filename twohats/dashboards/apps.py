from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "twohats.dashboards"
    label = "dashboards"
