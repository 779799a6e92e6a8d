from django.contrib import admin
from django.urls import include, path

from twohats.api import api
from twohats.surveys.urls import public_urlpatterns as survey_public

urlpatterns = [
    path("", include("twohats.dashboards.urls")),
    path("accounts/", include("twohats.people.urls")),
    path("clients/", include("twohats.clients.urls")),
    path("contacts/", include("twohats.clients.contact_urls")),
    path("projects/", include("twohats.projects.urls")),
    path("interactions/", include("twohats.interactions.urls")),
    path("", include("twohats.interactions.request_urls")),  # /requests/, /clients/<id>/requests/
    path("alerts/", include("twohats.alerts.urls")),
    path("surveys/", include("twohats.surveys.urls")),
    path("s/", include((survey_public, "survey_public"))),  # public survey pages, no login
    path("matching/policy/", include("twohats.matching.policy_urls")),  # the fit policy, admins
    path("matching/fit/", include("twohats.matching.fit_urls")),  # fit partials of pages
    path("opportunities/", include("twohats.growth.urls")),
    path("workdays/", include("twohats.people.workday_urls")),
    path("matching/", include("twohats.matching.staffing_urls")),  # staffing, ranking, the plan
    path("matching/", include("twohats.matching.urls")),
    path("", include("twohats.health.urls")),  # /portfolio/, /people/<id>/, /health/…
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
