from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "twohats.projects"
    label = "projects"
