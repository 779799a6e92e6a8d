from django.urls import path

from twohats.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/archive/", views.client_archive, name="archive"),
    path("<int:pk>/delete/", views.client_delete, name="delete"),
]

from twohats.interactions import views as interaction_views  # noqa: E402

urlpatterns += [
    path("<int:pk>/timeline/", interaction_views.client_timeline, name="timeline"),
    path(
        "<int:pk>/interactions/new/",
        interaction_views.interaction_create_for_client,
        name="log_interaction",
    ),
]
