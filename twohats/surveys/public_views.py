"""The public survey pages, for the client's contacts: no login (the token is the credential),
no JavaScript, CSRF-protected, rate limited per address and per token.

Every refused link (unknown, used, expired, revoked) gets one identical page and status, so the
page never tells whether a token exists."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from twohats.surveys import ratelimit
from twohats.surveys.models import Invitation, Question
from twohats.surveys.public_forms import SurveyForm
from twohats.surveys.services import (
    InvalidLink,
    contact_opt_out,
    firm_text,
    invitation_by_token,
    response_submit,
    token_hash,
)
from twohats.web import add_errors


def _context(**extra: object) -> dict[str, object]:
    return {"firm_name": settings.FIRM_NAME, **extra}


def invalid_link(request: HttpRequest) -> HttpResponse:
    # No CSRF token, no name, no date: the same bytes for every refused link.
    return render(request, "surveys/public/invalid.html", _context(), status=404)


def too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "surveys/public/too_many.html", _context(), status=429)
    response["Retry-After"] = str(int(ratelimit.PER_ADDRESS.window.total_seconds()))
    return response


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    if not ratelimit.allowed(request, token):
        return too_many(request)
    now = timezone.now()
    try:
        invitation = invitation_by_token(token, now=now)
    except InvalidLink:
        return invalid_link(request)
    questions = list(Question.objects.filter(template_id=invitation.template_id))
    form = SurveyForm(questions, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            response_submit(token=token, answers=form.answers(), now=now)
        except InvalidLink:
            return invalid_link(request)
        except ValidationError as error:
            add_errors(form, error)
        else:
            return redirect("survey_public:thanks")
    context = _context(
        form=form,
        project=invitation.project,
        template=invitation.template,
        introduction=firm_text(invitation.template.introduction),
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "surveys/public/answer.html", context, status=status)


def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/public/thanks.html", _context())


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners follow links; only the button unsubscribes)."""
    if not ratelimit.allowed(request, token):
        return too_many(request)
    if not Invitation.objects.filter(token_hash=token_hash(token)).exists():
        return invalid_link(request)
    if request.method == "POST":
        try:
            contact_opt_out(token=token, now=timezone.now())
        except InvalidLink:
            return invalid_link(request)
        return render(request, "surveys/public/unsubscribed.html", _context())
    return render(request, "surveys/public/unsubscribe.html", _context())
