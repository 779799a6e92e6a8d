"""Staff pages of survey results: the voice card the client page loads, and a client's results
page (latest scores, quarters, constructs, roles, verbatims). Access goes through
`Client.objects.visible_to`: a client the user may not see is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from twohats.clients.models import Client
from twohats.health.models import HealthPolicy
from twohats.surveys.models import Construct, Response
from twohats.surveys.selectors import client_voice_detail, voice_by_quarter
from twohats.surveys.trends import voice_trends
from twohats.web import get_visible

CONSTRUCT_LABELS = dict(Construct.choices)


def _voice_context(client: Client, *, verbatims: int) -> dict[str, Any]:
    surveys, now = HealthPolicy.objects.active().rules.surveys, timezone.now()
    voice = client_voice_detail(
        client.pk,
        now=now,
        min_n=surveys.min_n,
        window_days=surveys.window_days,
        verbatims=verbatims,
    )
    # The later half of the window against the earlier, as the health model weighs the trends.
    trends = voice_trends(
        Response.objects.filter(client_id=client.pk),
        now=now,
        window_days=surveys.window_days,
        min_n=surveys.min_n,
    )
    return {"client": client, "voice": voice, "trends": trends, "min_n": surveys.min_n}


@login_required
def client_voice_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The voice card the client page loads after it has shown."""
    client = get_visible(Client, request, pk)
    return render(request, "surveys/_voice_card.html", _voice_context(client, verbatims=5))


@login_required
def client_results(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_visible(Client, request, pk)
    context = _voice_context(client, verbatims=50)
    latest = context["voice"].latest
    context |= {
        "full_page": True,
        "quarters": voice_by_quarter(
            Response.objects.filter(client=client), min_n=context["min_n"]
        ),
        "constructs": [
            (CONSTRUCT_LABELS.get(name, name), mean) for name, mean in latest.constructs.items()
        ],
        "roles": sorted(latest.roles.items()),
    }
    return render(request, "surveys/client_results.html", context)
