from django.urls import path

from twohats.dashboards import views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
]
