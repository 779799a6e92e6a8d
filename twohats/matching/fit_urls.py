from django.urls import path

from twohats.matching import fit_views

app_name = "fit"
urlpatterns = [
    path("contacts/<int:pk>/", fit_views.contact_fit, name="contact"),
    path("people/<int:pk>/", fit_views.person_fit, name="person"),
]
