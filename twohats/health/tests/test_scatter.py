"""The delivery portfolio: active projects by SPI/CPI quadrant, as a scatter with a table,
filtered like the portfolio, read through the same access rules, in a fixed number of queries."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.health.tests.reporting import report
from twohats.projects.models import Project
from twohats.test import Cast, ClientFactory, ProjectFactory, count_queries, read

URL = reverse("health:delivery")
WHO = ["owner", "teammate", "outsider", "director", "other_director", "executive", "admin"]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2026, 7, 2, 9, tzinfo=dt.UTC), tick=False):
        yield


def text(response: Any) -> str:
    return read(response).decode()


def chart(page: str) -> dict[str, Any]:
    [raw] = re.findall(r'data-chart="([^"]+)"', page)
    option: dict[str, Any] = json.loads(html.unescape(raw))
    return option


def table_rows(page: str) -> list[str]:
    """The project names in the table, in order."""
    body = page[page.rindex("<tbody>") : page.rindex("</tbody>")]  # after the chart's own
    return re.findall(r'<td><a href="/projects/\d+/">([^<]+)</a>', body)


@pytest.fixture
def quadrants(cast: Cast) -> dict[str, Project]:
    """One project of the owner's in each quadrant, and one without a report."""
    projects = {
        "behind_over": cast.project,  # Cabin software
        "behind_under": ProjectFactory(client=cast.client, manager=cast.owner, name="Ground tools"),
        "ahead_over": ProjectFactory(client=cast.client, manager=cast.owner, name="Avionics"),
        "ahead_under": ProjectFactory(client=cast.client, manager=cast.owner, name="Training"),
        "unknown": ProjectFactory(client=cast.client, manager=cast.owner, name="Not started"),
    }
    report(projects["behind_over"], pv=100_000, ev=86_000, ac=93_000, rag="red")
    report(projects["behind_under"], pv=100_000, ev=93_000, ac=90_000, rag="amber")
    report(projects["ahead_over"], pv=100_000, ev=105_000, ac=120_000, rag="amber")
    report(projects["ahead_under"], pv=100_000, ev=100_000, ac=100_000, rag="green")
    return projects


# ---------------------------------------------------------------------------------------------
# Access


@pytest.mark.parametrize("who", WHO)
def test_it_shows_each_user_the_projects_they_may_see(
    client: Browser, cast: Cast, quadrants: dict[str, Project], who: str
) -> None:
    zed = ProjectFactory(client=cast.other_client, manager=cast.outsider, name="Core banking")
    report(zed, pv=100_000, ev=70_000, ac=100_000)
    client.force_login(cast.everyone()[who])
    response = client.get(URL)
    assert response.status_code == 200
    shown = table_rows(text(response))
    sees_aerolux = who in ("owner", "teammate", "director", "executive", "admin")
    sees_zed = who in ("outsider", "other_director", "executive", "admin")
    assert ("Cabin software" in shown) is sees_aerolux
    assert ("Core banking" in shown) is sees_zed


def test_it_sends_anonymous_visitors_to_sign_in(client: Browser) -> None:
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_it_is_linked_from_the_portfolio(client: Browser, cast: Cast) -> None:
    client.force_login(cast.director)
    assert f'href="{URL}"' in text(client.get(reverse("health:portfolio")))


# ---------------------------------------------------------------------------------------------
# The chart and the table


def test_it_plots_each_quadrant_with_its_own_symbol_and_name(
    client: Browser, cast: Cast, quadrants: dict[str, Project]
) -> None:
    client.force_login(cast.owner)
    page = text(client.get(URL))
    option = chart(page)
    series = {s["name"]: s for s in option["series"]}
    assert list(series) == [
        "Behind schedule, over budget",
        "Behind schedule, within budget",
        "On or ahead of schedule, over budget",
        "On or ahead of schedule, within budget",
    ]
    assert len({s["symbol"] for s in series.values()}) == 4  # readable without colour
    for s in series.values():  # each quadrant's name written in its corner
        assert s["markArea"]["data"][0][0]["name"] == s["name"]
    [behind_over] = series["Behind schedule, over budget"]["data"]
    assert behind_over["name"] == "Cabin software (Aerolux)"
    assert behind_over["value"] == [0.86, round(86 / 93, 3)]
    assert behind_over["url"] == reverse("projects:detail", args=[cast.project.pk])
    lines = [line["name"] for line in option["series"][0]["markLine"]["data"]]
    assert lines == ["SPI 1.0", "CPI 1.0", "SPI red below 0.90", "CPI red below 0.90"]
    assert option["aria"]["enabled"] and "data-chart-links" in page
    assert "4 projects by their latest SPI (across) and CPI (up)" in page
    assert "Not started" not in json.dumps(option)  # no report: not plotted


def test_it_lists_the_numbers_with_bands_in_words(
    client: Browser, cast: Cast, quadrants: dict[str, Project]
) -> None:
    client.force_login(cast.owner)
    page = text(client.get(URL))
    # The worst SPI first; the project without a report last.
    assert table_rows(page) == [
        "Cabin software",
        "Ground tools",
        "Training",
        "Avionics",
        "Not started",
    ]
    row = page[page.index(">Cabin software<") :]
    row = row[: row.index("</tr>")]
    assert '0.86 <span class="badge text-bg-danger">Red</span>' in row
    assert '0.92 <span class="badge text-bg-warning">Amber</span>' in row
    assert "Behind schedule, over budget" in row
    assert "no SPI or CPI yet" in page
    assert "Behind schedule, over budget: <strong>1</strong>" in page
    assert "No SPI or CPI yet: <strong>1</strong>" in page


def test_it_says_so_when_nothing_can_be_plotted(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    page = text(client.get(URL))
    assert "data-chart" not in page
    assert "No project here has both an SPI and a CPI yet" in page


# ---------------------------------------------------------------------------------------------
# Filters and export


def test_it_filters_by_quadrant_practice_pm_industry_and_tier(
    client: Browser, cast: Cast, quadrants: dict[str, Project]
) -> None:
    zed = ProjectFactory(client=cast.other_client, manager=cast.outsider, name="Core banking")
    report(zed, pv=100_000, ev=70_000, ac=100_000)
    client.force_login(cast.executive)

    def shown(**query: object) -> list[str]:
        return table_rows(text(client.get(URL, query)))

    assert shown(quadrant="behind_over") == ["Core banking", "Cabin software"]
    assert shown(quadrant="unknown") == ["Not started"]
    assert shown(practice=cast.other_practice.pk) == ["Core banking"]
    assert (
        shown(manager=cast.owner.pk)[0] == "Cabin software"
        and len(shown(manager=cast.owner.pk)) == 5
    )
    assert shown(industry="banking") == ["Core banking"]
    assert "Core banking" not in shown(tier="key", industry="aerospace")
    assert shown(q="avion") == ["Avionics"]
    assert shown(sort="name")[:2] == ["Avionics", "Cabin software"]
    # A quadrant's count keeps the other filters and links to the list narrowed to it.
    page = text(client.get(URL, {"industry": "banking"}))
    assert "Behind schedule, over budget: <strong>1</strong>" in page
    assert "industry=banking&amp;quadrant=behind_over" in page
    # Every filter has a label a person can read.
    assert re.search(r'<label[^>]*for="id_quadrant"[^>]*>Quadrant</label>', page)
    assert "[invalid name]" not in page


def test_it_shows_no_rows_for_an_invalid_filter(
    client: Browser, cast: Cast, quadrants: dict[str, Project]
) -> None:
    client.force_login(cast.owner)
    page = text(client.get(URL, {"quadrant": "sideways"}))
    assert table_rows(page) == [] and "No project matches." in page


def test_it_exports_the_filtered_rows_as_csv(
    client: Browser, cast: Cast, quadrants: dict[str, Project]
) -> None:
    client.force_login(cast.owner)
    response = client.get(URL, {"quadrant": "behind_over", "format": "csv"})
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0][:4] == ["id", "project", "client", "PM"]
    assert len(rows) == 2
    assert rows[1][1] == "Cabin software" and rows[1][8:] == [
        "0.86",
        "0.92",
        "red",
        "Behind schedule, over budget",
    ]


# ---------------------------------------------------------------------------------------------
# Query budget


def add_projects(cast: Cast, count: int) -> None:
    for n in range(count):
        other = ClientFactory(account_lead=cast.owner, tier="strategic" if n % 2 else "key")
        project = ProjectFactory(client=other, manager=cast.owner)
        report(project, pv=100_000, ev=80_000 + 1_000 * (n % 40), ac=90_000)


@pytest.mark.parametrize("query", ["", "?quadrant=behind_over", "?format=csv"])
def test_it_keeps_its_queries_constant_in_the_number_of_projects(
    client: Browser, cast: Cast, query: str
) -> None:
    client.force_login(cast.director)
    add_projects(cast, 1)
    few = count_queries(lambda: read(client.get(URL + query)))
    add_projects(cast, 49)
    many = count_queries(lambda: read(client.get(URL + query)))
    assert few == many, f"{few} queries with 1 project, {many} with 50"
