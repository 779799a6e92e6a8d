from django.urls import path

from twohats.alerts import views

app_name = "alerts"
urlpatterns = [
    path("", views.alert_list, name="list"),
    path("<int:pk>/", views.alert_detail, name="detail"),
    path(
        "<int:pk>/acknowledge/", views.alert_action, {"action": "acknowledge"}, name="acknowledge"
    ),
    path("<int:pk>/snooze/", views.alert_action, {"action": "snooze"}, name="snooze"),
    path("<int:pk>/resolve/", views.alert_action, {"action": "resolve"}, name="resolve"),
    path("<int:pk>/dismiss/", views.alert_action, {"action": "dismiss"}, name="dismiss"),
    path("clients/<int:pk>/", views.client_alerts, name="client"),
]
