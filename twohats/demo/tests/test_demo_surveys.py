"""Survey waves of the small demo data set (the module's demo fixture of test_demo)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable

import pytest
from django.db.models import Avg, Count, F, Q
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from twohats.clients.models import Client
from twohats.demo.scale import BIG_ACCOUNTS, LARGEST
from twohats.demo.tests.test_demo import demo  # noqa: F401  (the module fixture)
from twohats.demo.vocab import SURVEY_REASONS
from twohats.health.models import HealthPolicy
from twohats.people.models import User
from twohats.surveys.models import Answer, Invitation, Response, SurveyTemplate
from twohats.surveys.services import MIN_DAYS_BETWEEN_INVITATIONS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def nps(scores: Iterable[int]) -> float:
    values = list(scores)
    assert len(values) >= 20, "too few responses to compare"
    promoters = sum(v >= 9 for v in values)
    detractors = sum(v <= 6 for v in values)
    return 100 * (promoters - detractors) / len(values)


def test_it_sends_survey_waves_with_unique_tokens() -> None:
    now = timezone.now()
    invitations = Invitation.objects.all()
    total = invitations.count()
    assert total > 300
    assert invitations.values("token_hash").distinct().count() == total
    assert all(len(h) == 64 for h in invitations.values_list("token_hash", flat=True)[:50])
    families = set(invitations.values_list("template__family", flat=True))
    assert families == {"nps", "pm_vs_firm", "relationship", "roles", "csat"}
    assert not invitations.filter(created_at__lt=now - dt.timedelta(days=2 * 366)).exists()
    assert not invitations.filter(Q(created_at__gt=now) | Q(used_at__gt=now)).exists()
    assert not invitations.exclude(contact__client=F("project__client")).exists()
    assert not invitations.filter(project__status__in=["proposed", "cancelled"]).exists()
    # Milestone invitations ask about an accepted milestone of the same project.
    milestone = invitations.filter(trigger="milestone")
    assert milestone.exists() and not milestone.exclude(template__family="csat").exists()
    assert not milestone.exclude(milestone__project=F("project")).exists()
    assert not milestone.filter(milestone__accepted_at__isnull=True).exists()
    # Never more often than the policy allows per contact.
    by_contact: dict[int, list[dt.datetime]] = {}
    for contact, created in invitations.values_list("contact", "created_at"):
        by_contact.setdefault(contact, []).append(created)
    gap = dt.timedelta(days=MIN_DAYS_BETWEEN_INVITATIONS)
    for dates in by_contact.values():
        dates.sort()
        assert all(b - a > gap for a, b in itertools.pairwise(dates))


def test_it_gets_a_believable_response_rate() -> None:
    now = timezone.now()
    closed = Invitation.objects.filter(expires_at__lt=now)
    answered = closed.filter(used_at__isnull=False).count()
    assert 0.3 <= answered / closed.count() <= 0.45
    assert Response.objects.count() == Invitation.objects.filter(used_at__isnull=False).count()
    assert not Response.objects.exclude(submitted_at=F("invitation__used_at")).exists()
    assert not Response.objects.filter(submitted_at__gte=F("invitation__expires_at")).exists()
    assert not Response.objects.exclude(project=F("invitation__project")).exists()
    assert not Response.objects.exclude(client=F("project__client")).exists()
    assert not Response.objects.exclude(pm=F("project__manager")).exists()
    assert not Response.objects.exclude(template=F("invitation__template")).exists()
    # Reminders for those who did not answer within a week.
    assert Invitation.objects.filter(reminded_at__isnull=False, used_at__isnull=True).exists()


def test_it_stores_the_nps_and_csat_of_the_answers() -> None:
    responses = Response.objects.select_related("template")
    recommend = dict(
        Answer.objects.filter(question__construct="recommend").values_list("response", "value")
    )
    satisfaction = dict(
        Answer.objects.filter(
            question__construct="satisfaction", response__template__kind="csat"
        ).values_list("response", "value")
    )
    for response in responses:
        assert response.nps == recommend.get(response.pk)
        assert response.csat == satisfaction.get(response.pk)
        if response.template.kind in ("nps", "csat"):
            assert response.nps is not None or response.csat is not None
    # Every scale answer is within its question's scale; every question of a scale is answered.
    assert not Answer.objects.filter(
        Q(value__lt=F("question__scale_min")) | Q(value__gt=F("question__scale_max"))
    ).exists()
    scale_questions = dict(
        SurveyTemplate.objects.annotate(
            n=Count("questions", filter=Q(questions__scale_min__isnull=False))
        ).values_list("pk", "n")
    )
    for response in Response.objects.annotate(
        n=Count("answers", filter=Q(answers__value__isnull=False))
    ):
        assert response.n == scale_questions[response.template_id]
    # Some leave a reason, from the vocabulary; the detractors' reasons are complaints.
    reasons = Answer.objects.filter(question__construct="reason").exclude(text="")
    assert reasons.count() > 0.3 * Response.objects.filter(template__kind="nps").count()
    assert reasons.filter(response__nps__lte=6).exists()


def test_it_makes_nps_move_with_the_relationship() -> None:
    scores = list(
        Response.objects.filter(nps__isnull=False).values_list("client", "project", "nps")
    )
    overall = nps(s for _, _, s in scores)
    assert -10 < overall < 60
    assert any(s <= 6 for _, _, s in scores) and any(s >= 9 for _, _, s in scores)
    # Accounts whose interactions go well recommend the firm more than those that go badly.
    sentiment = dict(
        Client.objects.annotate(mood=Avg("interactions__sentiment"))
        .filter(mood__isnull=False)
        .values_list("pk", "mood")
    )
    ranked = sorted({client for client, _, _ in scores}, key=lambda pk: sentiment[pk])
    third = len(ranked) // 3
    worst, best = set(ranked[:third]), set(ranked[-third:])
    good = nps(s for client, _, s in scores if client in best)
    bad = nps(s for client, _, s in scores if client in worst)
    assert good > bad + 20, (good, bad)


def test_it_shows_the_native_pms_liked_more_than_their_firm() -> None:
    pms = User.objects.filter(role="pm").annotate(
        days=Count("workday_locations"),
        site=Count("workday_locations", filter=Q(workday_locations__kind="client_site")),
    )
    native = {pm.pk for pm in pms if pm.site >= 0.7 * pm.days}
    ratings: dict[int, dict[str, int]] = {}
    for response, pm, construct, value in Answer.objects.filter(
        question__construct__in=["pm_rating", "firm_rating"]
    ).values_list("response", "response__pm", "question__construct", "value"):
        ratings.setdefault(response, {"pm": pm})[construct] = value
    gaps_native = [r["pm_rating"] - r["firm_rating"] for r in ratings.values() if r["pm"] in native]
    gaps_other = [
        r["pm_rating"] - r["firm_rating"] for r in ratings.values() if r["pm"] not in native
    ]
    assert gaps_native and gaps_other
    assert sum(gaps_native) / len(gaps_native) > sum(gaps_other) / len(gaps_other) + 1


def test_the_largest_client_shows_its_nps_on_its_voice_card(client: Browser) -> None:
    largest = Client.objects.get(name=LARGEST.name)
    min_n = HealthPolicy.objects.active().rules.surveys.min_n
    client.force_login(largest.account_lead)
    response = client.get(reverse("surveys:client_voice_card", args=[largest.pk]))
    assert response.status_code == 200
    latest = response.context["voice"].latest
    assert latest.nps.enough and latest.nps.n >= min_n and latest.nps.score is not None
    shown = re.search(r'data-testid="nps">(.*?)</dd>', response.content.decode(), re.S)
    assert shown is not None and f"(n = {latest.nps.n};" in shown[1]
    assert "not enough responses" not in shown[1]
    # The card's latest verbatims are not one sentence repeated.
    texts = [verbatim.text for verbatim in latest.verbatims]
    assert len(texts) >= 3 and len(set(texts)) > 1


def test_the_big_accounts_have_enough_responses_at_a_believable_rate() -> None:
    now = timezone.now()
    min_n = HealthPolicy.objects.active().rules.surveys.min_n
    for account in BIG_ACCOUNTS:
        client = Client.objects.get(name=account.name)
        year = Response.objects.filter(
            client=client, nps__isnull=False, submitted_at__gt=now - dt.timedelta(days=365)
        )
        assert year.count() >= min_n, account.name
        closed = Invitation.objects.filter(project__client=client, expires_at__lt=now)
        rate = closed.filter(used_at__isnull=False).count() / closed.count()
        assert 0.3 <= rate <= 0.6, (account.name, rate)


def _group_patterns() -> dict[str, re.Pattern[str]]:
    """Per NPS group, a pattern matching the start of any of its reasons ({pm}, {project}
    filled in)."""
    patterns = {}
    for group, themes in SURVEY_REASONS.items():
        starts = [
            re.escape(text).replace(r"\{pm\}", ".+").replace(r"\{project\}", ".+")
            for texts in themes.values()
            for text in texts
        ]
        patterns[group] = re.compile("(?:" + "|".join(starts) + ")")
    return patterns


def test_the_verbatims_vary_and_match_the_score() -> None:
    reasons = list(
        Answer.objects.filter(question__construct="reason")
        .exclude(text="")
        .values_list("text", "response__nps")
    )
    texts = [text for text, _ in reasons]
    assert len(texts) > 50
    assert len(set(texts)) > 0.4 * len(texts)
    assert not any("{" in text for text in texts)  # every placeholder filled
    patterns = _group_patterns()
    for text, score in reasons:
        group = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        assert patterns[group].match(text), (score, text)
    detractors = [text for text, score in reasons if score <= 6]
    assert len(set(detractors)) >= 5
