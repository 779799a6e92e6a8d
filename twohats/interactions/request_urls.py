"""Client requests, mounted at the site's root: their own pages under /requests/, and the
requests section of a client's page under /clients/<id>/requests/."""

from django.urls import path

from twohats.interactions import request_views as views

app_name = "requests"
urlpatterns = [
    path("requests/", views.request_list, name="list"),
    path("requests/<int:pk>/", views.request_detail, name="detail"),
    path("requests/<int:pk>/edit/", views.request_edit, name="edit"),
    path("requests/<int:pk>/respond/", views.request_respond_view, name="respond"),
    path("requests/<int:pk>/resolve/", views.request_resolve_view, name="resolve"),
    path("requests/<int:pk>/delete/", views.request_delete, name="delete"),
    path("clients/<int:pk>/requests/", views.client_section, name="client_section"),
    path("clients/<int:pk>/requests/new/", views.request_log, name="log"),
]
