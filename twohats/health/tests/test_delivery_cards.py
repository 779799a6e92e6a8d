"""Delivery beside relationship health on the client's health card, and the change requests a
PM absorbed on their page, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.health.models import HealthSnapshot
from twohats.health.services import health_recompute
from twohats.health.tests.reporting import change, report
from twohats.projects.models import Decision
from twohats.test import Cast, ProjectFactory, count_queries, read

NOW = dt.datetime(2026, 6, 30, 15, tzinfo=dt.UTC)
DAY = NOW.date()


@pytest.fixture(autouse=True)
def made_early() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def now(made_early: time_machine.Traveller) -> None:
    made_early.move_to(NOW)


def text(response: Any) -> str:
    return read(response).decode()


def card(client: Browser, cast: Cast) -> str:
    return text(client.get(reverse("health:client_card", args=[cast.client.pk])))


def project_line(page: str, name: str) -> str:
    found = re.search(rf">{name}</a>: (.*?)</li>", page, re.S)
    assert found, name
    return found.group(1)


def test_it_shows_each_project_s_delivery_beside_its_relationship_health(
    client: Browser, cast: Cast, now: None
) -> None:
    report(cast.project, pv=100_000, ev=86_000, ac=90_000, rag="amber")
    quiet = ProjectFactory(client=cast.client, manager=cast.owner, name="Ground tools")
    health_recompute(date=DAY)
    snap = HealthSnapshot.objects.get(project=cast.project, date=DAY)
    client.force_login(cast.teammate)
    page = card(client, cast)
    line = " ".join(project_line(page, "Cabin software").split())
    assert 'SPI 0.86 <span class="badge text-bg-danger">Red</span>' in line
    assert 'CPI 0.96 <span class="badge text-bg-success">Green</span>' in line
    assert 'RAG <span class="badge text-bg-warning">Amber</span>' in line
    assert "(2026-06-30)" in line
    assert snap.relationship is not None
    relationship = f'<span class="badge text-bg-danger">Red</span> {snap.relationship:.0f}'
    assert f"Relationship</span> {relationship}" in line
    assert "no status report yet" in project_line(page, quiet.name)
    client_snap = HealthSnapshot.objects.get(client=cast.client, project=None, date=DAY)
    assert client_snap.relationship is not None
    assert f'Relationship health <strong class="text-body">{client_snap.relationship:.0f}' in page


def test_it_keeps_the_card_s_queries_constant_with_reports(
    client: Browser, cast: Cast, now: None
) -> None:
    client.force_login(cast.director)

    def add(count: int) -> None:
        for _ in range(count):
            project = ProjectFactory(client=cast.client, manager=cast.owner)
            report(project, pv=100_000, ev=90_000, ac=95_000)
        health_recompute(date=DAY)

    add(1)
    few = count_queries(lambda: card(client, cast))
    add(49)
    many = count_queries(lambda: card(client, cast))
    assert few == many, f"{few} queries with 2 projects, {many} with 51"


# ---------------------------------------------------------------------------------------------
# The PM page


def absorb(cast: Cast, days_ago: int, value: int) -> None:
    decided = NOW - dt.timedelta(days=days_ago)
    change(
        cast.project,
        cast.contact,
        decided - dt.timedelta(days=3),
        decision=Decision.ABSORBED,
        decided_at=decided,
        value=value,
    )


def absorbed(client: Browser, cast: Cast) -> str:
    page = text(client.get(reverse("health:person", args=[cast.owner.pk])))
    start = page.index('id="absorbed-changes"')
    return " ".join(page[start : page.index("</dd>", start)].split())


def test_it_shows_the_change_requests_a_pm_absorbed(client: Browser, cast: Cast, now: None) -> None:
    client.force_login(cast.director)
    assert "none" in absorbed(client, cast)
    absorb(cast, 3, 10_000)
    absorb(cast, 60, 50_000)  # before the 8 weeks
    shown = absorbed(client, cast)
    assert "<strong>1</strong>, worth 10,000 (4 % of the budgets" in shown
    assert "policy" not in shown
    absorb(cast, 10, 2_500)  # 12 500 of 250 000: the policy's 5 %
    shown = absorbed(client, cast)
    assert "<strong>2</strong>, worth 12,500 (5 % of the budgets" in shown
    assert "policy: fewer than 3 and under 5 %" in shown


def test_it_keeps_the_pm_page_s_queries_constant_with_absorbed_changes(
    client: Browser, cast: Cast, now: None
) -> None:
    client.force_login(cast.director)
    url = reverse("health:person", args=[cast.owner.pk])
    absorb(cast, 3, 1_000)
    few = count_queries(lambda: read(client.get(url)))
    for n in range(49):
        ProjectFactory(client=cast.client, manager=cast.owner)
        absorb(cast, 4 + n % 30, 1_000)
    many = count_queries(lambda: read(client.get(url)))
    assert few == many


def test_it_gives_relationship_health_apart_in_the_api(
    client: Browser, cast: Cast, now: None
) -> None:
    report(cast.project, pv=100_000, ev=86_000, ac=90_000)
    health_recompute(date=DAY)
    snap = HealthSnapshot.objects.get(project=cast.project, date=DAY)
    client.force_login(cast.teammate)
    body = client.get(f"/api/v1/health/projects/{cast.project.pk}").json()
    assert body["relationship"] == pytest.approx(snap.relationship)
    assert body["dimensions"]["delivery"] == pytest.approx(snap.dimensions["delivery"])
    assert body["signals"]["delivery.spi"]["raw"] == 0.86
    assert body["signals"]["delivery.spi"]["detail"] == {"band": "red", "limit": 0.9}
