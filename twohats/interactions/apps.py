from django.apps import AppConfig


class InteractionsConfig(AppConfig):
    name = "twohats.interactions"
    label = "interactions"
