"""The health pages: the portfolio, the client's health card and page, the PM page.

Snapshots are computed by `health_recompute` from records made with the factories, in a frozen
2026: the records are made on 2 January, the snapshots for 31 May and 30 June."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.clients.models import Client
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.services import health_recompute
from twohats.people.models import User
from twohats.test import (
    Cast,
    ClientFactory,
    InteractionFactory,
    ProjectFactory,
    UserFactory,
    WorkdayLocationFactory,
    count_queries,
    read,
)

MADE = dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 6, 30, 15, tzinfo=dt.UTC)
DAY = dt.date(2026, 6, 30)
EARLIER = dt.date(2026, 5, 31)

WHO = ["owner", "teammate", "outsider", "director", "other_director", "executive", "admin"]
SEE = dict(zip(WHO, [200, 200, 404, 200, 404, 200, 200], strict=True))
# The owner's PM page: themselves, their practice's director, executives and administrators.
PERSON = dict(zip(WHO, [200, 404, 404, 200, 404, 200, 200], strict=True))


@pytest.fixture(autouse=True)
def made_early() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MADE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def now(made_early: time_machine.Traveller) -> None:
    made_early.move_to(NOW)


def meet(cast: Cast, days_ago: int, client: Client | None = None, **roles: bool) -> None:
    interaction = InteractionFactory(
        client=client or cast.client,
        project=cast.project if client is None else None,
        logged_by=cast.owner,
        occurred_at=NOW - dt.timedelta(days=days_ago),
        **roles,
    )
    interaction.contacts.add(cast.contact)
    interaction.staff.add(cast.owner)


@pytest.fixture
def healthy(cast: Cast, now: None) -> Cast:
    """Aerolux quiet in May, busy in June: its health rises between the two snapshots."""
    health_recompute(date=EARLIER)
    for days in (2, 5, 9, 13, 20, 27):
        meet(cast, days, role_coach=days < 10, role_entrepreneur=days == 2)
    health_recompute(date=DAY)
    return cast


def snapshot(client: Client, date: dt.date = DAY) -> HealthSnapshot:
    return HealthSnapshot.objects.get(client=client, project=None, date=date)


def set_score(client: Client, overall: float | None, date: dt.date = DAY) -> None:
    """Give a client a chosen score (for sorting and filtering), banded by the policy."""
    band = HealthPolicy.objects.active().rules.bands.of(overall)
    HealthSnapshot.objects.filter(client=client, project=None, date=date).update(
        overall=overall, band=band
    )


def text(response: object) -> str:
    return read(response).decode()


# ---------------------------------------------------------------------------------------------
# Access


URLS = {
    "client card": lambda c: reverse("health:client_card", args=[c.client.pk]),
    "client health page": lambda c: reverse("health:client", args=[c.client.pk]),
    "owner's page": lambda c: reverse("health:person", args=[c.owner.pk]),
}
EXPECTED = {"client card": SEE, "client health page": SEE, "owner's page": PERSON}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", URLS)
def test_it_answers_each_url_according_to_access(
    client: Browser, healthy: Cast, who: str, name: str
) -> None:
    client.force_login(healthy.everyone()[who])
    response = client.get(URLS[name](healthy))
    assert response.status_code == EXPECTED[name][who], f"{who} on {name}"


def test_it_shows_a_pm_their_own_page_and_nobody_else_s(client: Browser, cast: Cast) -> None:
    client.force_login(cast.teammate)
    assert client.get(reverse("health:person", args=[cast.teammate.pk])).status_code == 200
    assert client.get(reverse("health:person", args=[cast.owner.pk])).status_code == 404
    # Executives and administrators lead no account: they have no such page.
    assert client.get(reverse("health:person", args=[cast.executive.pk])).status_code == 404
    client.force_login(cast.admin)
    assert client.get(reverse("health:person", args=[cast.executive.pk])).status_code == 404


@pytest.mark.parametrize("who", WHO)
def test_it_shows_each_user_the_portfolio_they_may_see(
    client: Browser, healthy: Cast, who: str
) -> None:
    client.force_login(healthy.everyone()[who])
    page = text(client.get(reverse("health:portfolio")))
    assert ("Aerolux" in page) is (SEE[who] == 200)
    sees_zed = who in ("outsider", "other_director", "executive", "admin")
    assert ("Banque Zed" in page) is sees_zed


@pytest.mark.parametrize("who", WHO)
def test_it_links_the_portfolio_from_the_menu_for_those_who_oversee(
    client: Browser, cast: Cast, who: str
) -> None:
    client.force_login(cast.everyone()[who])
    page = text(client.get(reverse("clients:list")))
    shown = who in ("director", "other_director", "executive", "admin")
    assert (f'href="{reverse("health:portfolio")}"' in page) is shown


def test_it_sends_anonymous_visitors_to_sign_in(client: Browser, cast: Cast) -> None:
    for url in URLS.values():
        assert client.get(url(cast))["Location"].startswith("/accounts/login/")
    assert client.get(reverse("health:portfolio"))["Location"].startswith("/accounts/login/")


# ---------------------------------------------------------------------------------------------
# The client's health card


def test_it_loads_the_card_into_the_client_page_with_a_link_for_no_script(
    client: Browser, healthy: Cast
) -> None:
    client.force_login(healthy.owner)
    page = text(client.get(reverse("clients:detail", args=[healthy.client.pk])))
    card = reverse("health:client_card", args=[healthy.client.pk])
    full = reverse("health:client", args=[healthy.client.pk])
    assert f'hx-get="{card}" hx-trigger="load"' in page
    assert f'href="{full}"' in page
    # Right after the account and projects, before the stakeholders.
    assert page.index(card) < page.index('id="stakeholders-heading"')
    assert page.index('id="projects-heading"') < page.index(card)


def test_it_shows_the_score_band_dimensions_reasons_and_what_has_no_data(
    client: Browser, healthy: Cast
) -> None:
    latest = snapshot(healthy.client)
    client.force_login(healthy.owner)
    card = text(client.get(reverse("health:client_card", args=[healthy.client.pk])))
    assert "Relationship health" in card
    assert f"{latest.overall:.0f}" in card and "/ 100" in card
    assert latest.band.capitalize() in card  # the band in words
    for name, score in latest.dimensions.items():
        assert name.capitalize() in card
        if score is None:
            assert "no data" in card
    for reason in latest.reasons:
        assert html.escape(reason[0].upper() + reason[1:]) in card
    assert latest.missing  # the cast has no client request: responsiveness has no data
    assert "No data yet, left out of the score" in card
    assert "Median first response against the SLA" in card
    assert "Computed for 2026-06-30 under health policy v1" in card


def test_it_shows_the_trend_against_about_30_days_before(client: Browser, healthy: Cast) -> None:
    now, before = snapshot(healthy.client), snapshot(healthy.client, EARLIER)
    assert now.overall is not None and before.overall is not None
    change = now.overall - before.overall
    assert change >= 3  # busier in June than in May
    client.force_login(healthy.owner)
    card = text(client.get(reverse("health:client_card", args=[healthy.client.pk])))
    assert "↑" in card and f"+{change:.0f}" in card and "since 2026-05-31" in card
    assert "points, rising" in card  # the arrow in words for screen readers


def test_it_draws_the_trend_with_a_text_alternative(client: Browser, healthy: Cast) -> None:
    client.force_login(healthy.owner)
    card = text(client.get(reverse("health:client_card", args=[healthy.client.pk])))
    option = chart_options(card)[0]
    assert option["aria"]["enabled"] and option["aria"]["decal"]["show"]
    names = [series["name"] for series in option["series"]]
    assert names[0] == "Overall" and "Presence" in names
    assert option["xAxis"]["data"] == ["2026-05-31", "2026-06-30"]
    # The chart is a picture for the eye; its numbers are in a table for screen readers.
    assert 'aria-hidden="true"' in card
    assert "<caption>Health scores by date</caption>" in card
    assert '<th scope="row">2026-05-31</th>' in card
    assert "2 snapshots from 2026-05-31 to 2026-06-30" in card


def test_it_lists_each_active_project_with_its_band(client: Browser, healthy: Cast) -> None:
    project = HealthSnapshot.objects.get(project=healthy.project, date=DAY)
    ProjectFactory(client=healthy.client, name="Old project", status="completed")
    client.force_login(healthy.owner)
    card = text(client.get(reverse("health:client_card", args=[healthy.client.pk])))
    line = re.search(r"Cabin software</a>: (.*?)</li>", card, re.S)
    assert line and project.band.capitalize() in line.group(1)
    assert f"{project.overall:.0f}" in line.group(1)
    assert "Old project" not in card


def test_it_says_so_when_no_health_has_been_computed(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    card = text(client.get(reverse("health:client_card", args=[cast.client.pk])))
    assert "No health has been computed for this client yet" in card
    assert "data-chart" not in card


def test_it_links_the_account_lead_to_their_page_for_those_who_may_open_it(
    client: Browser, healthy: Cast
) -> None:
    person = reverse("health:person", args=[healthy.owner.pk])
    card = reverse("health:client_card", args=[healthy.client.pk])
    client.force_login(healthy.director)
    assert f'href="{person}"' in text(client.get(card))
    client.force_login(healthy.teammate)
    assert f'href="{person}"' not in text(client.get(card))


def test_it_shows_the_signals_and_history_on_the_full_page(client: Browser, healthy: Cast) -> None:
    client.force_login(healthy.owner)
    page = text(client.get(reverse("health:client", args=[healthy.client.pk])))
    assert "Days since the last face-to-face meeting" in page
    assert "Signals" in page and "History" in page
    assert page.count('<th scope="row">2026-0') == 2  # the trend's table


# ---------------------------------------------------------------------------------------------
# The portfolio


@pytest.fixture
def portfolio(cast: Cast, made_early: time_machine.Traveller) -> dict[str, Client]:
    """Four clients of the director's practice with chosen scores, 30 days apart."""
    lead = UserFactory(practice=cast.practice, first_name="Pat", last_name="Lead")
    clients = {
        "falling": ClientFactory(name="Falling Air", account_lead=cast.owner, tier="strategic"),
        "rising": ClientFactory(name="Rising Rail", account_lead=lead, industry="transport"),
        "steady": ClientFactory(name="Steady Ships", account_lead=cast.owner, tier="standard"),
        "new": ClientFactory(name="Newcomer Inc", account_lead=cast.owner),
    }
    made_early.move_to(NOW)
    health_recompute(date=EARLIER)
    health_recompute(date=DAY)
    for name, (before, after) in {
        "falling": (80, 45),
        "rising": (40, 72),
        "steady": (60, 61),
    }.items():
        set_score(clients[name], before, EARLIER)
        set_score(clients[name], after, DAY)
    set_score(cast.client, 55, EARLIER)
    set_score(cast.client, 65, DAY)
    HealthSnapshot.objects.filter(client=clients["new"]).delete()
    return clients


def rows(page: str) -> list[str]:
    """The client names in the portfolio table, in order."""
    body = page[page.index("<tbody>") :]
    return re.findall(r'<td><a href="/clients/\d+/">([^<]+)</a>', body)


def test_it_lists_clients_worst_first_with_bands_and_trends(
    client: Browser, portfolio: dict[str, Client]
) -> None:
    client.force_login(User.objects.get(username="director"))
    page = text(client.get(reverse("health:portfolio")))
    assert rows(page) == ["Falling Air", "Steady Ships", "Aerolux", "Rising Rail", "Newcomer Inc"]
    assert "As of 2026-06-30; trends against 2026-05-31" in page
    falling = page[page.index("Falling Air") : page.index("Steady Ships")]
    assert "Red" in falling and "↓" in falling and "-35" in falling
    steady = page[page.index("Steady Ships") : page.index("Aerolux</a>")]
    assert "→" in steady and "+1" in steady and "Amber" in steady
    rising = page[page.index("Rising Rail") : page.index("Newcomer Inc")]
    assert "↑" in rising and "+32" in rising and "Green" in rising
    newcomer = page[page.index("Newcomer Inc") :]
    assert "Unknown" in newcomer
    # Clients by band, each count a link to the band.
    assert re.search(r'href="\?band=red">[^>]*>Red</span>\s*<strong>1</strong>', page)
    assert re.search(r"Amber</span>\s*<strong>2</strong>", page)
    assert re.search(r"Unknown</span>\s*<strong>1</strong>", page)


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"band": "amber"}, ["Steady Ships", "Aerolux"]),
        ({"band": "unknown"}, ["Newcomer Inc"]),
        ({"tier": "strategic"}, ["Falling Air"]),
        ({"industry": "transport"}, ["Rising Rail"]),
        ({"q": "rail"}, ["Rising Rail"]),
        (
            {"sort": "best"},
            ["Rising Rail", "Aerolux", "Steady Ships", "Falling Air", "Newcomer Inc"],
        ),
        (
            {"sort": "fallen"},
            ["Falling Air", "Steady Ships", "Aerolux", "Rising Rail", "Newcomer Inc"],
        ),
        (
            {"sort": "risen"},
            ["Rising Rail", "Aerolux", "Steady Ships", "Falling Air", "Newcomer Inc"],
        ),
        (
            {"sort": "name"},
            ["Aerolux", "Falling Air", "Newcomer Inc", "Rising Rail", "Steady Ships"],
        ),
    ],
)
def test_it_filters_and_sorts(
    client: Browser, portfolio: dict[str, Client], query: dict[str, str], expected: list[str]
) -> None:
    client.force_login(User.objects.get(username="director"))
    assert rows(text(client.get(reverse("health:portfolio"), query))) == expected


def test_it_filters_by_practice_and_pm(client: Browser, portfolio: dict[str, Client]) -> None:
    client.force_login(User.objects.get(username="executive"))
    cast_owner = User.objects.get(username="owner")
    practice = cast_owner.practice
    assert practice is not None
    by_practice = rows(text(client.get(reverse("health:portfolio"), {"practice": practice.pk})))
    assert "Banque Zed" not in by_practice and len(by_practice) == 5
    by_pm = rows(text(client.get(reverse("health:portfolio"), {"account_lead": cast_owner.pk})))
    assert by_pm == ["Falling Air", "Steady Ships", "Aerolux", "Newcomer Inc"]


def test_it_refuses_an_unknown_band_and_shows_nothing(
    client: Browser, portfolio: dict[str, Client]
) -> None:
    client.force_login(User.objects.get(username="director"))
    page = text(client.get(reverse("health:portfolio"), {"band": "purple"}))
    assert "Select a valid choice" in page and rows(page) == []


def test_it_exports_the_filtered_rows_as_csv(client: Browser, portfolio: dict[str, Client]) -> None:
    client.force_login(User.objects.get(username="director"))
    response = client.get(reverse("health:portfolio"), {"band": "amber", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    exported = list(csv.DictReader(io.StringIO(text(response))))
    assert [row["client"] for row in exported] == ["Steady Ships", "Aerolux"]
    assert exported[0]["score"] == "61.0" and exported[0]["change"] == "1.0"
    assert exported[0]["trend"] == "steady" and exported[0]["band"] == "amber"
    assert exported[0]["practice"] == "Aerospace delivery"


def test_it_paginates(client: Browser, cast: Cast, now: None) -> None:
    for _ in range(30):
        ClientFactory(account_lead=cast.owner)
    health_recompute(date=DAY)
    client.force_login(cast.director)
    assert "Page 1 of 2" in text(client.get(reverse("health:portfolio")))
    assert "Page 2 of 2" in text(client.get(reverse("health:portfolio"), {"page": 2}))


def test_it_says_when_nothing_has_been_computed(client: Browser, cast: Cast) -> None:
    client.force_login(cast.executive)
    page = text(client.get(reverse("health:portfolio")))
    assert "No health computed yet" in page
    assert rows(page) == ["Aerolux", "Banque Zed"]


# ---------------------------------------------------------------------------------------------
# The PM page


@pytest.fixture
def pm_week(healthy: Cast) -> Cast:
    """Where the owner worked in June: mostly at Aerolux's site."""
    for n, date in enumerate(d for d in range(1, 31) if dt.date(2026, 6, d).weekday() < 5):
        day = dt.date(2026, 6, date)
        if n == 2:
            WorkdayLocationFactory(user=healthy.owner, date=day, kind="home_office")
        else:
            WorkdayLocationFactory(
                user=healthy.owner, date=day, kind="client_site", client=healthy.client
            )
    return healthy


def test_it_shows_role_balance_with_neglected_roles_in_words(
    client: Browser, pm_week: Cast
) -> None:
    client.force_login(pm_week.director)
    page = text(client.get(reverse("health:person", args=[pm_week.owner.pk])))
    assert "Role balance" in page and "Neglected roles" in page
    # Politician, friend and marketer were never served.
    for role in ("Politician", "Friend", "Marketer"):
        assert f"{role} (" in page
    radar = next(o for o in chart_options(page) if o["series"][0]["type"] == "radar")
    assert radar["radar"]["indicator"][0]["name"] == "Implementer"
    assert [d["name"] for d in radar["series"][0]["data"]] == ["Share of time", "Target"]
    assert "<caption>Share of interaction time by role, against the target</caption>" in page
    assert "Distance from the target mix" in page


def test_it_shows_the_account_s_role_balance_on_the_client_health_page(
    client: Browser, healthy: Cast
) -> None:
    client.force_login(healthy.teammate)
    page = text(client.get(reverse("health:client", args=[healthy.client.pk])))
    assert "Role balance on this account" in page and "Neglected roles" in page
    # The six June meetings served the implementer (every one), the coach and the entrepreneur;
    # politician, friend and marketer were never served on the account.
    for role in ("Politician", "Friend", "Marketer"):
        assert f"{role} (" in page
    assert "Coach (" not in page
    radar = next(o for o in chart_options(page) if o["series"][0]["type"] == "radar")
    assert [d["name"] for d in radar["series"][0]["data"]] == ["Share of time", "Target"]


def test_it_says_so_when_the_account_had_no_interaction_in_the_window(
    client: Browser, cast: Cast, now: None
) -> None:
    client.force_login(cast.owner)
    page = text(client.get(reverse("health:client", args=[cast.client.pk])))
    assert "No interaction with this account in the window." in page


def test_it_shows_independence_with_its_numbers(client: Browser, pm_week: Cast) -> None:
    client.force_login(pm_week.owner)
    page = text(client.get(reverse("health:person", args=[pm_week.owner.pk])))
    # June 2026 has 22 weekdays; the third (3 June) at the home office, the rest at Aerolux.
    assert "Aerolux: 21 of 22 workdays, <strong>95 %</strong>" in page
    assert "above the policy&#x27;s 80 %" in page or "above the policy's 80 %" in page
    assert "<strong>19</strong> (last there 2026-06-03)" in page
    assert "policy: back within 15" in page
    assert "19 recorded workdays in a row at Aerolux, to 2026-06-30" in page
    bars = next(o for o in chart_options(page) if o["series"][0]["type"] == "bar")
    assert [s["name"] for s in bars["series"]] == ["Client site", "Home office", "Remote"]
    assert len(bars["xAxis"]["data"]) == 12
    assert "<caption>Recorded workdays per week by place</caption>" in page
    assert "Over 12 weeks: 21 days at client sites, 1 at the home office, 0 remote." in page


def test_it_lists_the_health_of_the_accounts_the_pm_leads(client: Browser, healthy: Cast) -> None:
    client.force_login(healthy.executive)
    page = text(client.get(reverse("health:person", args=[healthy.owner.pk])))
    section = page[page.index('id="clients-heading"') :]
    assert "Aerolux" in section and "Banque Zed" not in section
    assert "↑" in section


def test_it_says_so_without_interactions_or_workdays(client: Browser, cast: Cast) -> None:
    client.force_login(cast.teammate)
    page = text(client.get(reverse("health:person", args=[cast.teammate.pk])))
    assert "No interaction with a role logged in this window." in page
    assert "No workday recorded in the last 8 weeks." in page
    assert "data-chart" not in page


def chart_options(page: str) -> list[dict]:  # type: ignore[type-arg]
    """Each chart's ECharts option (the base option of one with media queries)."""
    options = [json.loads(html.unescape(raw)) for raw in re.findall(r'data-chart="([^"]+)"', page)]
    return [option.get("baseOption", option) for option in options]


# ---------------------------------------------------------------------------------------------
# Query counts, constant in the number of rows


def add_clients(cast: Cast, count: int) -> None:
    """Clients led by the owner, each with a project, an interaction and a day at its site."""
    for _ in range(count):
        other = ClientFactory(account_lead=cast.owner)
        ProjectFactory(client=other, manager=cast.owner)
        meet(cast, 3, client=other)


def add_projects(cast: Cast, count: int) -> None:
    for _ in range(count):
        ProjectFactory(client=cast.client, manager=cast.owner, members=[cast.teammate])


def recompute() -> None:
    health_recompute(date=EARLIER)
    health_recompute(date=DAY)


PAGES = {
    "portfolio": (lambda c: reverse("health:portfolio"), add_clients),
    "portfolio csv": (lambda c: reverse("health:portfolio") + "?format=csv", add_clients),
    "client card": (lambda c: reverse("health:client_card", args=[c.client.pk]), add_projects),
    "client page": (lambda c: reverse("health:client", args=[c.client.pk]), add_projects),
    "PM page": (lambda c: reverse("health:person", args=[c.owner.pk]), add_clients),
}


@pytest.mark.parametrize("name", PAGES)
def test_it_keeps_page_queries_constant_in_the_number_of_rows(
    client: Browser, cast: Cast, now: None, name: str
) -> None:
    make_url, add = PAGES[name]
    url = make_url(cast)
    client.force_login(cast.director)
    recompute()
    few = count_queries(lambda: read(client.get(url)))
    add(cast, 49)
    recompute()
    many = count_queries(lambda: read(client.get(url)))
    assert few == many, f"{name}: {few} queries with 1 row, {many} with 50"
