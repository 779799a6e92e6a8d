from django.urls import path

from twohats.people import views

app_name = "workdays"
urlpatterns = [
    path("", views.workday_list, name="list"),
    path("new/", views.workday_create, name="create"),
    path("<int:pk>/edit/", views.workday_edit, name="edit"),
    path("<int:pk>/delete/", views.workday_delete, name="delete"),
]
