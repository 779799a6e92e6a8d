from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "twohats.clients"
    label = "clients"
