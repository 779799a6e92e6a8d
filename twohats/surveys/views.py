"""Staff pages of the surveys: a project's invitations, inviting contacts, revoking a link.

Those who see the project see its invitations; those who may edit it invite and revoke."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from twohats.clients.models import Contact
from twohats.forms import Form
from twohats.projects.models import Milestone, Project
from twohats.surveys import services
from twohats.surveys.models import Invitation, SurveyTemplate
from twohats.web import add_errors, can_edit, get_visible, user_of

logger = logging.getLogger(__name__)

LIST_LIMIT = 200


class InviteForm(Form):
    contacts = forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Active contacts of the client with an email address.",
    )
    template = forms.ChoiceField(label="Survey")
    milestone = forms.ModelChoiceField(
        queryset=Milestone.objects.none(),
        required=False,
        help_text="The milestone the survey is about, if any.",
    )

    def __init__(self, project: Project, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contacts = self.fields["contacts"]
        assert isinstance(contacts, forms.ModelMultipleChoiceField)
        contacts.queryset = (
            Contact.objects.active()
            .filter(client_id=project.client_id, left_on__isnull=True)
            .exclude(email="")
            .order_by("last_name", "first_name")
        )
        template = self.fields["template"]
        assert isinstance(template, forms.ChoiceField)
        template.choices = [
            (t.family, t.name) for t in SurveyTemplate.objects.current().order_by("name")
        ]
        milestone = self.fields["milestone"]
        assert isinstance(milestone, forms.ModelChoiceField)
        milestone.queryset = Milestone.objects.filter(project=project).order_by("planned_date")


def status_of(invitation: Invitation, now: Any) -> str:
    if invitation.used_at is not None:
        return "answered"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    if invitation.sent_at is not None:
        return "sent"
    return "not sent"


def invitation_rows(project: Project) -> list[Invitation]:
    return list(
        Invitation.objects.filter(project=project).select_related(
            "contact", "template", "created_by", "milestone"
        )[:LIST_LIMIT]
    )


def _send_all(created: list[tuple[Invitation, str]]) -> None:
    now = timezone.now()
    for invitation, token in created:
        try:
            services.invitation_send(invitation, token, now=now)
        except Exception:  # one failed email must not lose the others
            logger.exception("Survey invitation %s could not be sent", invitation.pk)


def _invite(request: HttpRequest, project: Project, form: InviteForm) -> list[Invitation]:
    """All or nothing: every contact is invited, or none is and the errors are shown. Emails go
    after the commit."""
    now = timezone.now()
    created: list[tuple[Invitation, str]] = []
    errors: list[str] = []
    with transaction.atomic():
        for contact in form.cleaned_data["contacts"]:
            try:
                created.append(
                    services.invitation_create(
                        project=project,
                        contact=contact,
                        template_family=form.cleaned_data["template"],
                        actor=user_of(request),
                        trigger="milestone" if form.cleaned_data["milestone"] else "now",
                        milestone=form.cleaned_data["milestone"],
                        now=now,
                    )
                )
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            transaction.set_rollback(True)
            raise ValidationError(errors)
        transaction.on_commit(lambda: _send_all(created))
    return [invitation for invitation, _ in created]


@login_required
def project_invitations(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_visible(Project, request, pk, "client")
    editable = can_edit(Project, request, pk)
    form = InviteForm(project, request.POST or None) if editable else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only those who may edit the project invite its contacts.")
        if form.is_valid():
            try:
                invited = _invite(request, project, form)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"{len(invited)} invitation(s) sent.")
                return redirect("surveys:project_invitations", pk=project.pk)
    now = timezone.now()
    rows = [(inv, status_of(inv, now)) for inv in invitation_rows(project)]
    context = {"project": project, "client": project.client, "form": form, "rows": rows}
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/project_invitations.html", context, status=status)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = user_of(request)
    invitation = get_object_or_404(Invitation.objects.visible_to(user), pk=pk)
    if not Project.objects.editable_by(user).filter(pk=invitation.project_id).exists():
        raise PermissionDenied("Only those who may edit the project revoke its invitations.")
    try:
        services.invitation_revoke(invitation, actor=user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The invitation was revoked; its link no longer works.")
    return redirect(reverse("surveys:project_invitations", args=[invitation.project_id]))
