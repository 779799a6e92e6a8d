from django.urls import path

from twohats.projects import delivery_views, views

app_name = "projects"
urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/archive/", views.project_archive, name="archive"),
    path("<int:pk>/delete/", views.project_delete, name="delete"),
    # The delivery hat: the section of the project page, its forms and the status history.
    path("<int:pk>/delivery/", delivery_views.delivery_section, name="delivery"),
    path("<int:pk>/reports/new/", delivery_views.report_create, name="report_create"),
    path("<int:pk>/reports/export/", delivery_views.report_export, name="report_export"),
    path("reports/<int:pk>/revise/", delivery_views.report_revise, name="report_revise"),
    path("<int:pk>/milestones/new/", delivery_views.milestone_create, name="milestone_create"),
    path("milestones/<int:pk>/edit/", delivery_views.milestone_edit, name="milestone_edit"),
    path(
        "milestones/<int:pk>/complete/",
        delivery_views.milestone_complete_view,
        name="milestone_complete",
    ),
    path("<int:pk>/changes/new/", delivery_views.change_create, name="change_create"),
    path("changes/<int:pk>/decide/", delivery_views.change_decide, name="change_decide"),
    path("<int:pk>/rebaseline/", delivery_views.rebaseline, name="rebaseline"),
]
