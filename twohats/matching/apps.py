from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "twohats.matching"
    label = "matching"
