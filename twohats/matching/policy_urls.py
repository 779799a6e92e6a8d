"""Mounted at /matching/policy/: the fit policy's versions, and an admin's acceptance."""

from django.urls import path

from twohats.matching import policy_views

app_name = "fit_policy"
urlpatterns = [
    path("", policy_views.policy_page, name="page"),
    path("<int:version>/accept/", policy_views.policy_accept, name="accept"),
]
