from django.contrib import admin
from django.urls import include, path

from twohats.api import api

urlpatterns = [
    path("", include("twohats.dashboards.urls")),
    path("accounts/", include("twohats.people.urls")),
    path("clients/", include("twohats.clients.urls")),
    path("projects/", include("twohats.projects.urls")),
    path("interactions/", include("twohats.interactions.urls")),
    path("opportunities/", include("twohats.growth.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
