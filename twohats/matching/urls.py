from django.urls import path

from twohats.matching import views

app_name = "matching"
urlpatterns = [
    path("me/profile/", views.my_profile, name="me"),
    path("me/profile/style/", views.my_style, name="me_style"),
    path("me/profile/erase/", views.my_erase, name="me_erase"),
    path("people/<int:pk>/profile/", views.person_profile, name="person"),
    path("people/<int:pk>/profile/erase/", views.person_erase, name="person_erase"),
    path("contacts/<int:pk>/profile/", views.contact_profile, name="contact"),
    path("contacts/<int:pk>/profile/style/", views.contact_style, name="contact_style"),
    path(
        "contacts/<int:pk>/profile/similarity/",
        views.contact_similarity,
        name="contact_similarity",
    ),
    path("contacts/<int:pk>/profile/erase/", views.contact_erase, name="contact_erase"),
    path("erasures/", views.erasure_list, name="erasures"),
]
