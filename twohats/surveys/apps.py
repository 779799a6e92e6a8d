from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "twohats.surveys"
    label = "surveys"
