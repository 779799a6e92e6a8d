"""Survey results: the aggregation against hand-computed numbers, the voice card and the
results page (owner, teammate, outsider) and their query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.surveys.models import Response
from twohats.surveys.selectors import (
    client_voice_detail,
    nps_of,
    voice_by_quarter,
    voice_stats,
)
from twohats.surveys.tests.factories import (
    csat_response,
    nps_response,
    ratings_response,
    relationship_response,
)
from twohats.test import Cast, ContactFactory, ProjectFactory, count_queries

pytestmark = pytest.mark.django_db

# Seven scores: 3 promoters (10, 9, 10), 2 passives (8, 7), 2 detractors (6, 3).
SCORES = [10, 9, 8, 7, 6, 3, 10]


def contacts(cast: Cast, n: int) -> list[Contact]:
    return [ContactFactory.create(client=cast.client) for _ in range(n)]


def test_it_computes_nps_with_n_and_standard_error_by_hand(cast: Cast) -> None:
    now = timezone.now()
    for person, score in zip(contacts(cast, 7), SCORES, strict=True):
        nps_response(cast.project, person, score, at=now - dt.timedelta(days=3))
    stats = voice_stats(Response.objects.filter(client=cast.client), min_n=5)
    assert (stats.nps.n, stats.nps.promoters, stats.nps.passives, stats.nps.detractors) == (
        7,
        3,
        2,
        2,
    )
    # 100 · (3/7 − 2/7) = 14.29; SE = 100 · √((5/7 − (1/7)²) / 7) = 100 · √(34/343) = 31.48.
    assert stats.nps.score == 14.3
    assert stats.nps.standard_error == 31.5
    assert stats.nps.margin_95 == 61.7
    assert stats.nps.enough


def test_it_gives_no_score_below_the_minimum_n(cast: Cast) -> None:
    for person, score in zip(contacts(cast, 4), [10, 10, 10, 0], strict=True):
        nps_response(cast.project, person, score)
    stats = voice_stats(Response.objects.filter(client=cast.client), min_n=5)
    assert stats.nps.n == 4 and stats.nps.score is None and not stats.nps.enough
    assert stats.nps.standard_error is None
    assert voice_stats(Response.objects.all(), min_n=4).nps.score == 50.0


def test_it_computes_all_promoters_with_a_zero_standard_error() -> None:
    result = nps_of(5, 5, 0, min_n=5)
    assert (result.score, result.standard_error) == (100.0, 0.0)


def test_it_computes_csat_as_the_share_of_4_and_5(cast: Cast) -> None:
    for person, score in zip(contacts(cast, 5), [5, 4, 3, 5, 2], strict=True):
        csat_response(cast.project, person, score)
    csat = voice_stats(Response.objects.all(), min_n=5).csat
    assert (csat.n, csat.satisfied, csat.share) == (5, 3, 0.6)
    assert voice_stats(Response.objects.all(), min_n=6).csat.share is None


def test_it_scores_reverse_keyed_items_as_eight_minus_x(cast: Cast) -> None:
    for person in contacts(cast, 5):
        relationship_response(cast.project, person, 6)
    stats = voice_stats(Response.objects.all(), min_n=5)
    # Cognitive trust: 6, 6 and a reverse-keyed 6 → 2: mean 14/3.
    assert stats.constructs["cognitive_trust"].mean == round(14 / 3, 3)
    assert stats.constructs["affective_trust"].mean == 6.0
    assert stats.constructs["firm_trust"].mean == 4.0  # 6 and 8 − 6
    assert stats.constructs["commitment"].mean == 6.0
    # Trust: the seven trust items, two reverse-keyed: (5 · 6 + 2 · 2) / 7.
    assert stats.trust.mean == round(34 / 7, 3) and stats.trust.n == 5
    assert voice_stats(Response.objects.all(), min_n=6).trust.mean is None


def test_it_computes_the_pm_versus_firm_gap(cast: Cast) -> None:
    people = contacts(cast, 5)
    for person, (pm, firm) in zip(people, [(9, 6), (8, 7), (10, 5), (7, 7), (9, 8)], strict=True):
        ratings_response(cast.project, person, pm, firm)
    stats = voice_stats(Response.objects.all(), min_n=5)
    # PM mean 43/5 = 8.6, firm mean 33/5 = 6.6.
    assert stats.gap == 2.0
    assert voice_stats(Response.objects.all(), min_n=6).gap is None


def test_it_splits_results_by_quarter_and_by_pm(cast: Cast) -> None:
    other = ProjectFactory.create(client=cast.client, manager=cast.teammate)
    people = contacts(cast, 6)
    q1, q2 = dt.datetime(2026, 2, 10, tzinfo=dt.UTC), dt.datetime(2026, 5, 10, tzinfo=dt.UTC)
    for person, score in zip(people, [10, 10, 6, 9, 9, 2], strict=True):
        nps_response(cast.project, person, score, at=q1)
    for person, score in zip(people[:3], [0, 8, 9], strict=True):
        nps_response(other, person, score, at=q2)
    rows = voice_by_quarter(Response.objects.all(), min_n=3)
    assert [(r.quarter_name, r.nps.n, r.nps.score) for r in rows] == [
        ("2026 Q1", 6, 33.3),  # 4 promoters, 2 detractors of 6
        ("2026 Q2", 3, 0.0),
    ]
    by_pm = voice_by_quarter(Response.objects.all(), min_n=1, by="pm_id")
    assert {(r.quarter_name, r.group, r.nps.n) for r in by_pm} == {
        ("2026 Q1", cast.owner.pk, 6),
        ("2026 Q2", cast.teammate.pk, 3),
    }
    project = voice_stats(Response.objects.filter(project=other), min_n=3)
    assert project.nps.score == 0.0


def test_it_compares_the_latest_window_with_the_one_before(cast: Cast) -> None:
    now = timezone.now()
    people = contacts(cast, 5)
    for person in people:
        nps_response(cast.project, person, 10, at=now - dt.timedelta(days=400))
        nps_response(cast.project, person, 7, at=now - dt.timedelta(days=10))
    voice = client_voice_detail(cast.client.pk, now=now, min_n=5, window_days=365)
    assert voice.latest.nps.score == 0.0 and voice.previous.score == 100.0
    assert voice.nps_trend == -100.0


def test_it_shows_verbatims_escaped_on_the_card(client: Browser, cast: Cast) -> None:
    nps_response(cast.project, cast.contact, 3, reason="<script>alert('x')</script> too slow")
    client.force_login(cast.owner)
    page = client.get(reverse("surveys:client_voice_card", args=[cast.client.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; too slow" in body
    assert "Marie Curie" in body
    assert "not enough responses (n = 1)" in body


@pytest.mark.parametrize("who,status", [("owner", 200), ("teammate", 200), ("outsider", 404)])
@pytest.mark.parametrize("view", ["surveys:client_voice_card", "surveys:client_results"])
def test_it_shows_results_only_to_who_sees_the_client(
    client: Browser, cast: Cast, who: str, status: int, view: str
) -> None:
    nps_response(cast.project, cast.contact, 9, reason="Reliable team")
    client.force_login(cast.everyone()[who])
    assert client.get(reverse(view, args=[cast.client.pk])).status_code == status


def test_it_needs_a_login(client: Browser, cast: Cast) -> None:
    page = client.get(reverse("surveys:client_results", args=[cast.client.pk]))
    assert page.status_code == 302


def test_it_shows_scores_on_the_results_page(client: Browser, cast: Cast) -> None:
    people = contacts(cast, 5)
    for person, score in zip(people, [10, 9, 9, 6, 8], strict=True):
        nps_response(cast.project, person, score, reason=f"Reason of {person.first_name}")
        relationship_response(cast.project, person, 6)
        ratings_response(cast.project, person, 9, 7)
    client.force_login(cast.owner)
    body = client.get(reverse("surveys:client_results", args=[cast.client.pk])).content.decode()
    assert "<strong>40</strong>" in body  # 3 promoters, 1 detractor of 5
    assert "(n = 5; 3 promoters, 1 passives, 1 detractors)" in body
    assert "<strong>4.9</strong> of 7 (n = 5)" in body
    assert "<strong>+2.0</strong> points of 10" in body
    assert "Net Promoter Score v1" in body


def test_it_keeps_the_pages_queries_constant_in_responses(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    urls = [
        reverse(name, args=[cast.client.pk])
        for name in ("surveys:client_voice_card", "surveys:client_results")
    ]

    def counts() -> list[int]:
        return [count_queries(lambda url=url: client.get(url)) for url in urls]

    nps_response(cast.project, cast.contact, 9, reason="Good")
    one = counts()
    for person in contacts(cast, 12):
        nps_response(cast.project, person, 4, reason="Slow")
        relationship_response(cast.project, person, 5)
        ratings_response(cast.project, person, 8, 6)
        csat_response(cast.project, person, 4)
    assert counts() == one


@pytest.mark.parametrize(
    "scores", [SCORES, [10] * 5, [0, 1, 2, 3, 4, 5], [7, 8, 9, 6, 10, 3, 9, 9]]
)
def test_it_agrees_with_the_scoring_of_a_list_of_scores(scores: list[int]) -> None:
    from twohats.surveys import scoring

    expected = scoring.nps(scores, min_n=5)
    promoters, detractors = sum(s >= 9 for s in scores), sum(s <= 6 for s in scores)
    found = nps_of(len(scores), promoters, detractors, min_n=5)
    assert found.score == pytest.approx(expected.score, abs=0.05)
    assert found.standard_error == pytest.approx(expected.standard_error, abs=0.05)
    assert (found.passives, found.enough) == (expected.passives, expected.enough)
