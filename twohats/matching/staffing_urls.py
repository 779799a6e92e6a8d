from django.urls import path

from twohats.matching import staffing_views

app_name = "matching_staffing"

urlpatterns = [
    path("staffing/", staffing_views.staffing_plan, name="plan"),
    path("projects/<int:pk>/staffing/", staffing_views.project_staffing, name="project"),
    path("projects/<int:pk>/staffing/need/", staffing_views.need_open, name="need_open"),
    path(
        "projects/<int:pk>/staffing/conflicts/",
        staffing_views.conflict_record,
        name="conflict_record",
    ),
    path(
        "projects/<int:pk>/staffing/conflicts/<int:conflict_pk>/remove/",
        staffing_views.conflict_remove,
        name="conflict_remove",
    ),
    path("staffing/needs/<int:pk>/assign/", staffing_views.need_assign, name="assign"),
]
