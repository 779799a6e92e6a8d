"""Staff pages where administrators keep the survey templates: every family with its versions
and their responses, one version read-only, and the edit form. Everyone else gets a 403.

Saving goes through `template_revise`, which makes a new version when the current one has been
answered or has open invitations, and edits it in place otherwise."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from twohats.people.models import User
from twohats.surveys.editing import QuestionEdit, template_revise, template_usage
from twohats.surveys.models import Question, SurveyTemplate
from twohats.surveys.selectors import TemplateVersionRow, template_version_list
from twohats.surveys.template_forms import TemplateForm, question_formset
from twohats.web import user_of


def _admin(request: HttpRequest) -> User:
    user = user_of(request)
    if not user.is_admin:
        raise PermissionDenied("Only administrators edit survey templates.")
    return user


def _families(rows: list[TemplateVersionRow]) -> list[dict[str, Any]]:
    """Rows grouped by family, newest version first (the selector's order)."""
    families: dict[str, dict[str, Any]] = {}
    for row in rows:
        family = families.setdefault(row.template.family, {"current": None, "older": []})
        if row.template.superseded_at is None:
            family["current"] = row
        else:
            family["older"].append(row)
    return list(families.values())


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    _admin(request)
    families = _families(template_version_list(now=timezone.now()))
    return render(request, "surveys/template_list.html", {"families": families})


@login_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _admin(request)
    template = get_object_or_404(SurveyTemplate, pk=pk)
    responses, open_invitations = template_usage(template, now=timezone.now())
    context = {
        "template": template,
        "questions": Question.objects.filter(template=template).order_by("position"),
        "responses": responses,
        "open_invitations": open_invitations,
        "versions": SurveyTemplate.objects.filter(family=template.family).order_by("-version"),
    }
    return render(request, "surveys/template_detail.html", context)


def _show_errors(form: TemplateForm, error: ValidationError) -> None:
    """The service's errors on the field they name, the rest above the form, without keys."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, errors in error.message_dict.items():
        target = name if name in form.fields else None
        for message in errors:
            form.add_error(target if name != NON_FIELD_ERRORS else None, message)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    template = get_object_or_404(SurveyTemplate, pk=pk)
    if template.superseded_at is not None and request.method == "GET":
        current = SurveyTemplate.objects.current().filter(family=template.family).first()
        if current is not None:
            messages.info(
                request,
                f"Version {template.version} was replaced and stays as it was; "
                f"this is version {current.version}.",
            )
            return redirect("surveys:template_edit", pk=current.pk)
    questions = list(Question.objects.filter(template=template).order_by("position"))
    data = request.POST if request.method == "POST" else None
    form = TemplateForm(data, initial=TemplateForm.initial_of(template))
    formset = question_formset(questions, data)
    if data is not None and form.is_valid() & formset.is_valid():
        edits: list[QuestionEdit] = [edit for f in formset.forms if (edit := f.edit()) is not None]
        try:
            revision = template_revise(
                template=template,
                by=user,
                name=form.cleaned_data["name"],
                language=form.cleaned_data["language"],
                introduction=form.cleaned_data["introduction"],
                questions=edits,
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, revision.message())
            return redirect("surveys:template_detail", pk=revision.template.pk)
    by_id = {q.pk: q for q in questions}
    rows = [(f, by_id.get(_int(f["id"].value()) or 0)) for f in formset.forms]
    context = {"template": template, "form": form, "formset": formset, "rows": rows}
    status = 400 if data is not None else 200
    return render(request, "surveys/template_edit.html", context, status=status)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
