"""The alerts pages: the list and its filters, an alert with its actions, a client's alerts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.alerts.models import Alert, AlertTransition
from twohats.alerts.services import alert_resolve
from twohats.alerts.tests.raising import finding, raise_alerts
from twohats.test import Cast, ClientFactory, ProjectFactory, count_queries, read

NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}

WHO = ["owner", "teammate", "outsider", "director", "other_director", "executive", "admin"]
SEE = dict(zip(WHO, [200, 200, 404, 200, 404, 200, 200], strict=True))
# Whoever sees an alert may act on it, except executives, who only read.
ACT = dict(zip(WHO, [302, 302, 404, 302, 404, 403, 302], strict=True))

ACTIONS = {
    "acknowledge": ({}, "acknowledged"),
    "snooze": ({"days": "7"}, "snoozed"),
    "resolve": ({"note": "Met the sponsor on Monday."}, "resolved"),
    "dismiss": ({"reason": "The account is winding down by agreement."}, "dismissed"),
}


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alert(cast: Cast) -> Alert:
    """A medium alert about the cast's client, owned by its account lead."""
    (alert,) = raise_alerts(
        finding(client=cast.client, owner=cast.owner, pm=cast.owner), now=NOW - dt.timedelta(days=3)
    )
    return alert


def action_url(name: str, alert: Alert) -> str:
    return reverse(f"alerts:{name}", args=[alert.pk])


def csv_rows(response: object) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read(response).decode())))


# ---------------------------------------------------------------------------------------------
# The list


def some_alerts(cast: Cast) -> dict[str, Alert]:
    """Alerts of several kinds, severities, owners and ages; one of them resolved."""
    old, recent = NOW - dt.timedelta(days=20), NOW - dt.timedelta(days=2)
    other = ClientFactory(name="Zephyr Air", account_lead=cast.owner)
    (silent,) = raise_alerts(
        finding(client=cast.client, owner=cast.owner, severity=3, title="Aerolux has gone quiet"),
        now=recent,
    )
    (face, team) = raise_alerts(
        finding(
            client=other,
            owner=cast.owner,
            rule="no_face_to_face",
            severity=3,
            title="No face-to-face with Zephyr Air",
        ),
        finding(
            project=cast.project,
            owner=cast.teammate,
            pm=cast.teammate,
            rule="sentiment_drop",
            severity=1,
            title="Sentiment on Cabin software is falling",
        ),
        now=old,
    )
    (outside, gone) = raise_alerts(
        finding(
            client=cast.other_client,
            owner=cast.outsider,
            rule="single_threaded",
            title="Banque Zed hangs on one contact",
        ),
        finding(
            client=cast.client,
            owner=cast.owner,
            rule="health_drop",
            severity=2,
            title="Aerolux health fell 20 points",
        ),
        now=old,
    )
    alert_resolve(alert=gone, actor=cast.owner, now=recent, note="Recovered.")
    return {"silent": silent, "face": face, "team": team, "outside": outside, "gone": gone}


def titles(page: str, alerts: dict[str, Alert]) -> list[str]:
    """The alerts' keys, in the order their titles appear on the page."""
    found = [(page.find(a.title), key) for key, a in alerts.items() if a.title in page]
    return [key for _, key in sorted(found)]


def test_it_lists_live_alerts_most_severe_first_then_the_oldest(
    client: Browser, cast: Cast
) -> None:
    alerts = some_alerts(cast)
    client.force_login(cast.owner)
    page = client.get(reverse("alerts:list")).content.decode()
    # High first (the older of the two first), then low; the resolved one and the other
    # practice's are not listed.
    assert titles(page, alerts) == ["face", "silent", "team"]
    assert "High" in page and "Low" in page  # severity in words
    assert "2\xa0weeks, 6\xa0days" in page  # age
    assert f'href="{cast.client.get_absolute_url()}"' in page  # subject link
    assert f'href="{cast.project.get_absolute_url()}"' in page


@pytest.mark.parametrize(
    "query,expected",
    [
        ({}, ["face", "silent", "team"]),
        ({"status": "resolved"}, ["gone"]),
        ({"status": "all"}, ["face", "silent", "gone", "team"]),
        ({"severity": "1"}, ["team"]),
        ({"rule": "no_face_to_face"}, ["face"]),
        ({"owner": "mine"}, ["face", "silent"]),
        ({"pm": "teammate"}, ["team"]),
        ({"client": "client"}, ["silent", "team"]),
        ({"q": "zephyr"}, ["face"]),
    ],
)
def test_it_filters_the_list(
    client: Browser, cast: Cast, query: dict[str, str], expected: list[str]
) -> None:
    alerts = some_alerts(cast)
    if "pm" in query:
        query = {"pm": str(cast.teammate.pk)}
    if "client" in query:
        query = {"client": str(cast.client.pk)}
    client.force_login(cast.owner)
    page = client.get(reverse("alerts:list"), query).content.decode()
    assert titles(page, alerts) == expected


def test_it_exports_the_filtered_rows_as_csv(client: Browser, cast: Cast) -> None:
    some_alerts(cast)
    client.force_login(cast.owner)
    response = client.get(reverse("alerts:list"), {"severity": "3", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert [row["title"] for row in rows] == [
        "No face-to-face with Zephyr Air",
        "Aerolux has gone quiet",
    ]
    assert rows[1]["severity"] == "High" and rows[1]["status"] == "Open"
    assert "Days since last interaction: 41" in rows[1]["evidence"]


def test_it_refuses_an_unknown_filter_value_and_lists_nothing(client: Browser, cast: Cast) -> None:
    some_alerts(cast)
    client.force_login(cast.owner)
    page = client.get(reverse("alerts:list"), {"severity": "9"}).content.decode()
    assert "Select a valid choice" in page
    assert "No alert matches." in page


def test_it_keeps_the_list_queries_constant_in_the_number_of_alerts(
    client: Browser, cast: Cast
) -> None:
    def alerts(count: int) -> None:
        Alert.objects.all().delete()
        clients = [ClientFactory(account_lead=cast.owner) for _ in range(count)]
        projects = [ProjectFactory(client=c, manager=cast.owner) for c in clients]
        raise_alerts(*(finding(project=p, owner=cast.owner, pm=cast.teammate) for p in projects))

    client.force_login(cast.owner)
    alerts(1)
    few = count_queries(lambda: read(client.get(reverse("alerts:list"))))
    few_csv = count_queries(lambda: read(client.get(reverse("alerts:list"), {"format": "csv"})))
    alerts(50)
    many = count_queries(lambda: read(client.get(reverse("alerts:list"))))
    many_csv = count_queries(lambda: read(client.get(reverse("alerts:list"), {"format": "csv"})))
    assert few == many, f"{few} queries with 1 alert, {many} with 50"
    assert few_csv == many_csv


def test_it_counts_the_users_own_live_alerts_beside_the_navigation_link(
    client: Browser, cast: Cast
) -> None:
    alerts = some_alerts(cast)
    client.force_login(cast.owner)
    page = client.get(reverse("home")).content.decode()
    assert '2<span class="visually-hidden"> live alerts you own' in page
    alert_resolve(alert=alerts["face"], actor=cast.owner, now=NOW)
    page = client.get(reverse("home")).content.decode()
    assert '1<span class="visually-hidden"> live alert you own' in page
    client.force_login(cast.executive)
    assert "you own" not in client.get(reverse("home")).content.decode()


# ---------------------------------------------------------------------------------------------
# One alert


def test_it_shows_an_alert_with_its_numbers_steps_and_history(
    client: Browser, cast: Cast, alert: Alert
) -> None:
    client.force_login(cast.owner)
    page = client.get(alert.get_absolute_url()).content.decode()
    assert alert.title in page
    assert "Medium" in page and "Silent account" in page
    assert "Days since last interaction</dt>" in page and ">41</dd>" in page
    assert "Share engaged</dt>" in page and ">40 %</dd>" in page
    assert '<li class="mb-1">Schedule a face-to-face steering review.</li>' in page
    assert "Status: open" in page
    assert "<strong>system</strong>: opened" in page
    for name in ACTIONS:
        assert f'action="{action_url(name, alert)}"' in page


def test_it_puts_the_evidence_in_words(client: Browser, cast: Cast) -> None:
    evidence = {
        "site_share": 0.8421,
        "policy_share": 0.8,
        "last_face_to_face": "2026-02-01T09:00:00+00:00",
        "since": "2026-01-12",
        "last_interaction": None,
        "cpi": 0.912345,
        "engaged": ["Ada Lovelace", "Grace Hopper"],
        "absorbed_changes": True,
    }
    (alert,) = raise_alerts(finding(client=cast.client, owner=cast.owner, evidence=evidence))
    client.force_login(cast.owner)
    page = client.get(alert.get_absolute_url()).content.decode()
    for label, value in [
        ("Site share", "84.21 %"),
        ("Policy share", "80 %"),
        ("Last face to face", "Sun 1 Feb 2026, 10:00"),  # in the reader's zone (Paris)
        ("Since", "Mon 12 Jan 2026"),
        ("Last interaction", "—"),
        ("Cpi", "0.91"),
        ("Engaged", "Ada Lovelace, Grace Hopper"),
        ("Absorbed changes", "yes"),
    ]:
        assert f"{label}</dt>" in page and f">{value}</dd>" in page, label


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", ["alerts:detail", "alerts:client"])
def test_it_answers_each_page_according_to_access(
    client: Browser, cast: Cast, alert: Alert, who: str, name: str
) -> None:
    pk = alert.pk if name == "alerts:detail" else cast.client.pk
    client.force_login(cast.everyone()[who])
    assert client.get(reverse(name, args=[pk])).status_code == SEE[who], who


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", ACTIONS)
def test_it_lets_only_those_who_may_act_change_an_alert(
    client: Browser, cast: Cast, alert: Alert, who: str, name: str
) -> None:
    data, status = ACTIONS[name]
    user = cast.everyone()[who]
    client.force_login(user)
    response = client.post(action_url(name, alert), data)
    assert response.status_code == ACT[who], who
    alert.refresh_from_db()
    last = alert.transitions.last()
    assert last is not None
    if ACT[who] == 302:
        assert response["Location"] == alert.get_absolute_url()
        assert alert.status == status
        assert (last.from_status, last.to_status, last.actor) == ("open", status, user)
    else:
        assert alert.status == "open"
        assert alert.transitions.count() == 1


def test_it_acknowledges_an_alert(client: Browser, cast: Cast, alert: Alert) -> None:
    client.force_login(cast.teammate)
    response = client.post(action_url("acknowledge", alert), follow=True)
    assert "Alert acknowledged." in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "acknowledged"
    change = alert.transitions.get(to_status="acknowledged")
    assert (change.actor, change.at, change.from_status) == (cast.teammate, NOW, "open")


@pytest.mark.parametrize(
    "data,until",
    [
        ({"days": "1"}, NOW + dt.timedelta(days=1)),
        ({"days": "7"}, NOW + dt.timedelta(days=7)),
        # Entered in the user's time zone (Paris, UTC+1 in March).
        ({"until": "2026-03-20T09:30"}, dt.datetime(2026, 3, 20, 8, 30, tzinfo=dt.UTC)),
    ],
)
def test_it_snoozes_an_alert_for_a_quick_choice_or_until_a_time(
    client: Browser, cast: Cast, alert: Alert, data: dict[str, str], until: dt.datetime
) -> None:
    client.force_login(cast.owner)
    assert client.post(action_url("snooze", alert), data).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.snoozed_until) == ("snoozed", until)
    change = alert.transitions.get(to_status="snoozed")
    assert change.actor == cast.owner and change.note.startswith("until ")
    page = client.get(alert.get_absolute_url()).content.decode()
    assert "Snoozed until" in page


def test_it_resolves_with_an_optional_note(client: Browser, cast: Cast, alert: Alert) -> None:
    client.force_login(cast.director)
    assert client.post(action_url("resolve", alert), {"note": ""}).status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_at) == ("resolved", NOW)
    change = alert.transitions.get(to_status="resolved")
    assert (change.actor, change.note) == (cast.director, "")
    page = client.get(alert.get_absolute_url()).content.decode()
    assert "Closed: there is nothing left to do." in page
    assert f'action="{action_url("resolve", alert)}"' not in page


def test_it_dismisses_with_a_reason_shown_in_the_history(
    client: Browser, cast: Cast, alert: Alert
) -> None:
    client.force_login(cast.owner)
    reason = "The sponsor is on leave until April; agreed pause."
    client.post(action_url("dismiss", alert), {"reason": reason})
    alert.refresh_from_db()
    assert (alert.status, alert.dismissed_reason) == ("dismissed", reason)
    page = client.get(alert.get_absolute_url()).content.decode()
    assert f"Dismissed: {reason}" in page
    assert f'open → dismissed<div class="text-body-secondary">{reason}</div>' in page


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("snooze", {"until": "2026-03-09T09:00"}, "Snooze until a time in the future."),
        ("snooze", {"until": "2026-07-01T09:00"}, "Snooze for at most 90 days."),
        ("snooze", {"until": ""}, "Choose when the snooze ends."),
        ("snooze", {"until": "next tuesday"}, "Enter a valid date/time."),
        ("snooze", {"days": "3"}, "Select a valid choice."),
        ("dismiss", {"reason": "   "}, "Say why the alert does not apply."),
        ("resolve", {"note": "x" * 301}, "at most 300 characters"),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_it_refuses_bad_input_with_a_message_and_changes_nothing(
    client: Browser,
    cast: Cast,
    alert: Alert,
    name: str,
    data: dict[str, str],
    message: str,
    htmx: bool,
) -> None:
    client.force_login(cast.owner)
    response = client.post(action_url(name, alert), data, **(HTMX if htmx else {}))
    assert response.status_code == 422
    assert message in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "open" and alert.snoozed_until is None
    assert alert.transitions.count() == 1


@pytest.mark.parametrize("name", ACTIONS)
def test_it_refuses_to_act_on_a_resolved_alert(
    client: Browser, cast: Cast, alert: Alert, name: str
) -> None:
    alert_resolve(alert=alert, actor=cast.owner, now=NOW)
    client.force_login(cast.owner)
    data, _ = ACTIONS[name]
    response = client.post(action_url(name, alert), data, **HTMX)
    assert response.status_code == 422
    assert "This alert is resolved already." in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert alert.transitions.count() == 2


def test_it_refuses_to_acknowledge_twice(client: Browser, cast: Cast, alert: Alert) -> None:
    client.force_login(cast.owner)
    client.post(action_url("acknowledge", alert))
    response = client.post(action_url("acknowledge", alert))
    assert response.status_code == 422
    assert "This alert is acknowledged already." in response.content.decode()
    assert alert.transitions.count() == 2


def test_it_swaps_the_action_panel_and_history_in_place(
    client: Browser, cast: Cast, alert: Alert
) -> None:
    client.force_login(cast.owner)
    response = client.post(action_url("snooze", alert), {"days": "1"}, **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.startswith('<section id="alert-actions"')
    assert "Alert snoozed." in fragment and "Status: snoozed" in fragment
    assert '<section id="alert-history" hx-swap-oob="true"' in fragment
    assert "open → snoozed" in fragment
    assert '<span id="nav-alerts-badge" hx-swap-oob="true">' in fragment
    assert "<html" not in fragment


def test_it_shows_executives_the_alert_without_its_actions(
    client: Browser, cast: Cast, alert: Alert
) -> None:
    client.force_login(cast.executive)
    page = client.get(alert.get_absolute_url()).content.decode()
    assert alert.title in page
    assert "You can see this alert but not act on it." in page
    assert '<form class="mb-3" method="post"' not in page


def test_it_shows_escalation(client: Browser, cast: Cast, alert: Alert) -> None:
    Alert.objects.filter(pk=alert.pk).update(escalated_at=NOW - dt.timedelta(days=1))
    client.force_login(cast.director)
    page = client.get(alert.get_absolute_url()).content.decode()
    assert "<strong>Escalated</strong> to the director on" in page
    assert ">Mon 9 Mar 2026, 11:00</time>" in page  # in the director's time zone
    assert "still unacknowledged" in page


def test_it_keeps_the_alert_page_queries_constant_in_its_history(
    client: Browser, cast: Cast, alert: Alert
) -> None:
    client.force_login(cast.owner)
    few = count_queries(lambda: client.get(alert.get_absolute_url()))
    AlertTransition.objects.bulk_create(
        AlertTransition(alert=alert, at=NOW, actor=cast.owner, from_status="open", to_status="open")
        for _ in range(50)
    )
    many = count_queries(lambda: client.get(alert.get_absolute_url()))
    assert few == many


# ---------------------------------------------------------------------------------------------
# A client's alerts


def test_it_lists_a_clients_live_alerts_and_its_projects(client: Browser, cast: Cast) -> None:
    alerts = some_alerts(cast)
    client.force_login(cast.owner)
    fragment = client.get(reverse("alerts:client", args=[cast.client.pk]), **HTMX)
    text = fragment.content.decode()
    assert titles(text, alerts) == ["silent", "team"]
    assert "<html" not in text and "High" in text and "Cabin software" in text
    assert f'href="{alerts["silent"].get_absolute_url()}"' in text
    # Without JavaScript, the same list on a page of its own.
    page = client.get(reverse("alerts:client", args=[cast.client.pk])).content.decode()
    assert "<html" in page and alerts["silent"].title in page


def test_it_loads_the_clients_alerts_into_the_client_page(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    page = client.get(cast.client.get_absolute_url()).content.decode()
    url = reverse("alerts:client", args=[cast.client.pk])
    assert f'hx-get="{url}" hx-trigger="load"' in page
    assert f'<a href="{url}">' in page


def test_it_keeps_the_client_alerts_queries_constant(client: Browser, cast: Cast) -> None:
    url = reverse("alerts:client", args=[cast.client.pk])
    client.force_login(cast.owner)
    raise_alerts(finding(client=cast.client, owner=cast.owner))
    few = count_queries(lambda: client.get(url, **HTMX))
    Alert.objects.all().delete()
    projects = [ProjectFactory(client=cast.client, manager=cast.owner) for _ in range(50)]
    raise_alerts(*(finding(project=p, owner=cast.owner) for p in projects))
    many = count_queries(lambda: client.get(url, **HTMX))
    assert few == many


@pytest.mark.parametrize("path", ["/alerts/", "/alerts/1/", "/alerts/clients/1/"])
def test_it_sends_anonymous_visitors_to_sign_in(client: Browser, db: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
