from django.urls import path

from twohats.surveys import portfolio_views, public_views, results_views, template_views, views

app_name = "surveys"

urlpatterns = [
    path("clients/<int:pk>/voice/", results_views.client_voice_card, name="client_voice_card"),
    path("clients/<int:pk>/results/", results_views.client_results, name="client_results"),
    path(
        "projects/<int:pk>/invitations/",
        views.project_invitations,
        name="project_invitations",
    ),
    path("invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("portfolio/", portfolio_views.portfolio, name="portfolio"),
    path("templates/", template_views.template_list, name="template_list"),
    path("templates/<int:pk>/", template_views.template_detail, name="template_detail"),
    path("templates/<int:pk>/edit/", template_views.template_edit, name="template_edit"),
]

# The public pages under /s/, for the client's contacts: no login, the token is the credential.
public_urlpatterns = [
    path("thanks/", public_views.thanks, name="thanks"),
    path("<str:token>/", public_views.answer, name="answer"),
    path("<str:token>/unsubscribe/", public_views.unsubscribe, name="unsubscribe"),
]
