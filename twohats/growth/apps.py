from django.apps import AppConfig


class GrowthConfig(AppConfig):
    name = "twohats.growth"
    label = "growth"
