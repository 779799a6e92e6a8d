from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "twohats.people"
    label = "people"
