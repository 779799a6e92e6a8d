"""The health API: latest snapshots and histories, the portfolio list, PM role balance and
independence, with the same access rules as the pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient

from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.health.roles import role_mix
from twohats.health.services import health_recompute
from twohats.people.models import User
from twohats.test import (
    Cast,
    ClientFactory,
    InteractionFactory,
    WorkdayLocationFactory,
    count_queries,
)

MADE = dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 6, 30, 15, tzinfo=dt.UTC)
DAY = dt.date(2026, 6, 30)
EARLIER = dt.date(2026, 5, 31)

WHO = ["owner", "teammate", "outsider", "director", "other_director", "executive", "admin"]
SEE = dict(zip(WHO, [200, 200, 404, 200, 404, 200, 200], strict=True))
PERSON = dict(zip(WHO, [200, 404, 404, 200, 404, 200, 200], strict=True))

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    _http.cookies.clear()
    _http.force_login(user)
    return _http


@pytest.fixture(autouse=True)
def made_early() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MADE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def computed(cast: Cast, made_early: time_machine.Traveller) -> Cast:
    made_early.move_to(NOW)
    for days in (3, 10):
        meeting = InteractionFactory(
            client=cast.client,
            project=cast.project,
            logged_by=cast.owner,
            occurred_at=NOW - dt.timedelta(days=days),
            role_friend=True,
        )
        meeting.staff.add(cast.owner)
    health_recompute(date=EARLIER)
    health_recompute(date=DAY)
    return cast


Url = Callable[[Cast], str]

URLS: list[tuple[str, Url, dict[str, int]]] = [
    ("client", lambda c: f"/api/v1/health/clients/{c.client.pk}", SEE),
    ("client history", lambda c: f"/api/v1/health/clients/{c.client.pk}/history", SEE),
    ("project", lambda c: f"/api/v1/health/projects/{c.project.pk}", SEE),
    ("project history", lambda c: f"/api/v1/health/projects/{c.project.pk}/history", SEE),
    ("roles", lambda c: f"/api/v1/people/{c.owner.pk}/roles", PERSON),
    ("client roles", lambda c: f"/api/v1/health/clients/{c.client.pk}/roles", SEE),
    ("independence", lambda c: f"/api/v1/people/{c.owner.pk}/independence", PERSON),
]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name,make_url,expected", URLS, ids=[u[0] for u in URLS])
def test_it_answers_each_url_according_to_access(
    computed: Cast, who: str, name: str, make_url: Url, expected: dict[str, int]
) -> None:
    response = signed_in(computed.everyone()[who]).get(make_url(computed))
    assert response.status_code == expected[who], f"{who} on {name}"
    if expected[who] == 404:
        # The same answer as for a record that does not exist.
        pk = {"c": computed.client.pk, "p": computed.project.pk}.get(name[0], computed.owner.pk)
        missing = (make_url(computed) + "?").replace(f"/{pk}?", "/999999?")
        missing = missing.replace(f"/{pk}/", "/999999/").rstrip("?")
        assert response.json() == signed_in(computed.everyone()[who]).get(missing).json()


def test_it_asks_for_credentials(cast: Cast) -> None:
    anonymous = HttpClient()
    for _, make_url, _ in URLS:
        assert anonymous.get(make_url(cast)).status_code == 401
    assert anonymous.get("/api/v1/health/portfolio").status_code == 401


def test_it_returns_the_latest_snapshot_with_its_parts(computed: Cast) -> None:
    body = signed_in(computed.owner).get(f"/api/v1/health/clients/{computed.client.pk}").json()
    stored = HealthSnapshot.objects.get(client=computed.client, project=None, date=DAY)
    assert body["date"] == "2026-06-30" and body["project"] is None
    assert body["overall"] == pytest.approx(stored.overall)
    assert body["band"] == stored.band
    assert body["dimensions"] == stored.dimensions
    assert body["reasons"] == stored.reasons and body["missing"] == stored.missing
    assert body["signals"]["presence.days_since_face_to_face"]["raw"] == 3.0
    assert body["policy_version"] == HealthPolicy.objects.active().version


def test_it_returns_a_project_s_snapshot(computed: Cast) -> None:
    body = signed_in(computed.teammate).get(f"/api/v1/health/projects/{computed.project.pk}")
    assert body.json()["project"] == computed.project.pk


def test_it_answers_404_before_any_snapshot(cast: Cast) -> None:
    response = signed_in(cast.owner).get(f"/api/v1/health/clients/{cast.client.pk}")
    assert response.status_code == 404
    # Told apart from a client one may not see by `GET /clients/{id}`, not by this answer.
    assert response.json() == signed_in(cast.owner).get("/api/v1/health/clients/999999").json()


def test_it_returns_the_history_between_two_dates(computed: Cast) -> None:
    url = f"/api/v1/health/clients/{computed.client.pk}/history"
    http = signed_in(computed.director)
    with time_machine.travel(NOW, tick=False):
        assert [p["date"] for p in http.get(url).json()] == ["2026-05-31", "2026-06-30"]
    assert [p["date"] for p in http.get(url, {"since": "2026-06-01"}).json()] == ["2026-06-30"]
    assert [p["date"] for p in http.get(url, {"until": "2026-06-29"}).json()] == ["2026-05-31"]
    both = http.get(url, {"since": "2026-05-31", "until": "2026-06-30"}).json()
    assert [p["band"] for p in both] == [
        s.band
        for s in HealthSnapshot.objects.filter(client=computed.client, project=None).order_by(
            "date"
        )
    ]


@pytest.mark.parametrize(
    "query,field",
    [
        ({"since": "2026-07-01", "until": "2026-06-30"}, "since"),
        ({"since": "2020-01-01", "until": "2026-06-30"}, "since"),
        ({"since": "yesterday"}, "since"),
    ],
)
def test_it_refuses_a_bad_history_range(computed: Cast, query: dict[str, str], field: str) -> None:
    url = f"/api/v1/health/clients/{computed.client.pk}/history"
    response = signed_in(computed.owner).get(url, query)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_it_lists_the_portfolio_with_the_page_s_filters(computed: Cast) -> None:
    other = ClientFactory(name="Aerospan", account_lead=computed.owner, tier="strategic")
    with time_machine.travel(NOW, tick=False):
        health_recompute(date=DAY)
    http = signed_in(computed.executive)
    body = http.get("/api/v1/health/portfolio").json()
    names = [row["name"] for row in body["results"]]
    assert names == ["Aerolux", "Banque Zed", "Aerospan"]  # in the order of ids
    aerolux = body["results"][0]
    stored = HealthSnapshot.objects.get(client=computed.client, project=None, date=DAY)
    earlier = HealthSnapshot.objects.get(client=computed.client, project=None, date=EARLIER)
    assert aerolux["overall"] == pytest.approx(stored.overall)
    assert aerolux["previous_overall"] == pytest.approx(earlier.overall)
    assert aerolux["change"] == pytest.approx(stored.overall - earlier.overall)  # type: ignore[operator]
    assert aerolux["trend"] == "up"
    assert aerolux["account_lead_name"] == str(computed.owner)
    assert aerolux["practice"] == computed.practice.pk
    # Aerospan was made on the 30th: no earlier snapshot to compare with.
    assert body["results"][2]["previous_overall"] is None and body["results"][2]["trend"] == ""
    filtered = http.get("/api/v1/health/portfolio", {"tier": "strategic"}).json()["results"]
    assert [row["client"] for row in filtered] == [other.pk]
    by_practice = http.get("/api/v1/health/portfolio", {"practice": computed.practice.pk})
    assert [row["name"] for row in by_practice.json()["results"]] == ["Aerolux", "Aerospan"]
    by_band = http.get("/api/v1/health/portfolio", {"band": stored.band}).json()["results"]
    assert "Aerolux" in [row["name"] for row in by_band]


def test_it_lists_only_what_the_user_may_see(computed: Cast) -> None:
    body = signed_in(computed.outsider).get("/api/v1/health/portfolio").json()
    assert [row["name"] for row in body["results"]] == ["Banque Zed"]


def test_it_pages_the_portfolio_with_a_cursor(computed: Cast) -> None:
    for _ in range(4):
        ClientFactory(account_lead=computed.owner)
    http = signed_in(computed.owner)
    first = http.get("/api/v1/health/portfolio", {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"]
    second = http.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    bad = http.get("/api/v1/health/portfolio", {"cursor": "nonsense"})
    assert bad.status_code == 422


def test_it_refuses_an_unknown_band(computed: Cast) -> None:
    response = signed_in(computed.owner).get("/api/v1/health/portfolio", {"band": "purple"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "band"


def test_it_returns_a_pm_s_role_balance(computed: Cast) -> None:
    body = signed_in(computed.director).get(f"/api/v1/people/{computed.owner.pk}/roles").json()
    # Two friendly meetings (implementer and friend): half the time each.
    assert body["mix"]["implementer"] == 0.5 and body["mix"]["friend"] == 0.5
    assert body["target"]["implementer"] == 0.4
    assert body["distance"] == pytest.approx(0.5 * (0.1 + 0.12 * 4 + 0.38))
    assert [words.split(" ")[0] for words in body["neglected"]] == [
        "Coach",
        "Entrepreneur",
        "Politician",
        "Marketer",
    ]
    assert body["until"].startswith("2026-06-30")
    since = dt.datetime.fromisoformat(body["since"].replace("Z", "+00:00"))
    expected = role_mix(by="pm", since=since, until=NOW)[computed.owner.pk]
    assert body["mix"] == pytest.approx(expected)
    short = signed_in(computed.director).get(
        f"/api/v1/people/{computed.owner.pk}/roles", {"days": 7}
    )
    assert short.json()["mix"] == {
        "implementer": 0.5,
        "coach": 0.0,
        "entrepreneur": 0.0,
        "politician": 0.0,
        "friend": 0.5,
        "marketer": 0.0,
    }


def test_it_returns_a_client_s_role_balance(computed: Cast) -> None:
    url = f"/api/v1/health/clients/{computed.client.pk}/roles"
    body = signed_in(computed.teammate).get(url).json()
    assert body["client"] == computed.client.pk and body["name"] == computed.client.name
    since = dt.datetime.fromisoformat(body["since"].replace("Z", "+00:00"))
    expected = role_mix(by="client", since=since, until=NOW)[computed.client.pk]
    assert body["mix"] == pytest.approx(expected)
    assert body["mix"]["implementer"] == 0.5 and body["mix"]["friend"] == 0.5
    assert "Coach" in [words.split(" ")[0] for words in body["neglected"]]
    quiet = ClientFactory(account_lead=computed.owner)
    body = signed_in(computed.owner).get(f"/api/v1/health/clients/{quiet.pk}/roles").json()
    assert body["mix"] is None and body["neglected"] == []
    assert signed_in(computed.owner).get(url, {"days": 3}).status_code == 422


def test_it_returns_no_mix_without_interactions(cast: Cast) -> None:
    body = signed_in(cast.teammate).get(f"/api/v1/people/{cast.teammate.pk}/roles").json()
    assert body["mix"] is None and body["distance"] is None and body["neglected"] == []


def test_it_returns_a_pm_s_independence(computed: Cast) -> None:
    for date, kind in [("2026-06-26", "home_office"), ("2026-06-29", "client_site")]:
        client = computed.other_client if kind == "client_site" else None
        WorkdayLocationFactory(
            user=computed.owner, date=dt.date.fromisoformat(date), kind=kind, client=client
        )
    WorkdayLocationFactory(
        user=computed.owner, date=DAY, kind="client_site", client=computed.client
    )
    url = f"/api/v1/people/{computed.owner.pk}/independence"
    body = signed_in(computed.owner).get(url, {"until": "2026-06-30"}).json()
    assert (body["since"], body["until"]) == ("2026-05-06", "2026-06-30")
    assert body["workdays"] == 3 and body["client_site_days"] == 2
    assert body["workdays_since_home_office"] == 2
    assert body["last_home_office"] == "2026-06-26"
    assert body["longest_streak"] == 1 and body["longest_streak_end"] == "2026-06-30"
    # The owner cannot see Banque Zed: its id, not its name.
    sites = {site["client"]: site for site in body["sites"]}
    assert sites[computed.client.pk]["client_name"] == "Aerolux"
    assert sites[computed.other_client.pk]["client_name"] is None
    assert sites[computed.client.pk]["share"] == pytest.approx(1 / 3, abs=1e-6)
    assert len(body["weeks"]) == 12 and body["weeks"][-1]["client_site"] == 2
    nothing = signed_in(computed.owner).get(url, {"until": "2026-03-01"}).json()
    assert nothing["workdays"] == 0 and nothing["top_client_share"] is None


def test_it_refuses_a_window_out_of_range(computed: Cast) -> None:
    url = f"/api/v1/people/{computed.owner.pk}/independence"
    assert signed_in(computed.owner).get(url, {"weeks": 0}).status_code == 422
    roles = f"/api/v1/people/{computed.owner.pk}/roles"
    assert signed_in(computed.owner).get(roles, {"days": 1000}).status_code == 422


# ---------------------------------------------------------------------------------------------
# Query counts, constant in the number of rows


def more_clients(cast: Cast, start: int, count: int) -> None:
    for _ in range(count):
        ClientFactory(account_lead=cast.owner)
    health_recompute(date=DAY)


def more_snapshots(cast: Cast, start: int, count: int) -> None:
    """Copies of the day's snapshots on the days before the first of June."""
    days = [EARLIER - dt.timedelta(days=n + 1) for n in range(start, start + count)]
    originals = list(HealthSnapshot.objects.filter(date=DAY).values())
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(**(values | {"id": None, "date": day}))
        for values in originals
        for day in days
    )


def more_workdays(cast: Cast, start: int, count: int) -> None:
    for n in range(start, start + count):
        other = ClientFactory(account_lead=cast.owner)
        WorkdayLocationFactory(
            user=cast.owner,
            date=DAY - dt.timedelta(days=n),
            kind="client_site",
            client=other,
        )


LISTS: dict[str, tuple[Url, Callable[[Cast, int, int], None]]] = {
    "portfolio": (lambda c: "/api/v1/health/portfolio", more_clients),
    "client history": (
        lambda c: f"/api/v1/health/clients/{c.client.pk}/history?since=2026-01-01",
        more_snapshots,
    ),
    "project history": (
        lambda c: f"/api/v1/health/projects/{c.project.pk}/history?since=2026-01-01",
        more_snapshots,
    ),
    "independence": (lambda c: f"/api/v1/people/{c.owner.pk}/independence", more_workdays),
}


@pytest.mark.parametrize("name", LISTS)
def test_it_lists_1_and_50_rows_with_the_same_number_of_queries(computed: Cast, name: str) -> None:
    make_url, add = LISTS[name]
    http = signed_in(computed.director)
    url = make_url(computed)

    def get() -> Any:
        response = http.get(url)
        assert response.status_code == 200
        return response.json()

    add(computed, 0, 1)
    few = count_queries(get)
    add(computed, 1, 49)
    many = count_queries(get)
    assert few == many, f"{name}: {few} queries with 1 row, {many} with 50"
