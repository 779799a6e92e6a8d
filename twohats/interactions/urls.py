from django.urls import path

from twohats.interactions import views

app_name = "interactions"
urlpatterns = [
    path("", views.interaction_list, name="list"),
    path("<int:pk>/", views.interaction_detail, name="detail"),
    path("<int:pk>/edit/", views.interaction_edit, name="edit"),
    path("<int:pk>/delete/", views.interaction_delete, name="delete"),
    path("<int:pk>/done/", views.interaction_done, name="done"),
]
