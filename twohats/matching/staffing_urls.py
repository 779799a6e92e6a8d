from django.urls import path

from twohats.matching import staffing_views

app_name = "matching_staffing"

urlpatterns = [
    path("staffing/", staffing_views.staffing_plan, name="plan"),
    path("projects/<int:pk>/staffing/", staffing_views.project_staffing, name="project"),
    path("projects/<int:pk>/staffing/need/", staffing_views.need_open, name="need_open"),
    path("staffing/needs/<int:pk>/assign/", staffing_views.need_assign, name="assign"),
]
