"""Mounted at the site's root: /portfolio/, /portfolio/delivery/, /people/<id>/ and /health/…"""

from django.urls import path

from twohats.health import delivery_views, policy_views, views

app_name = "health"
urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/delivery/", delivery_views.delivery_portfolio, name="delivery"),
    path("people/<int:pk>/", views.person, name="person"),
    path("health/clients/<int:pk>/", views.client_page, name="client"),
    path("health/clients/<int:pk>/card/", views.client_card, name="client_card"),
    path("health/policy/", policy_views.policy_edit, name="policy"),
]
