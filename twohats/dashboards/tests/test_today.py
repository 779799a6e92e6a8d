"""The Today page: alerts by severity, overdue next steps and requests past their deadline
first, then the accounts, projects and latest touchpoints; a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.alerts.models import Alert
from twohats.alerts.services import alert_resolve, alert_snooze
from twohats.alerts.tests.raising import finding, raise_alerts
from twohats.health.tests.reporting import milestone
from twohats.interactions.models import ClientRequest
from twohats.interactions.requests import request_create, request_respond
from twohats.test import (
    Cast,
    ClientFactory,
    InteractionFactory,
    ProjectFactory,
    UserFactory,
    count_queries,
)

# A Tuesday, 11:00 in Paris.
NOW = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def today(client: Browser) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, heading_id: str) -> str:
    """The HTML of one section of the page, from its heading to the end of the section."""
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def test_it_shows_the_users_alerts_grouped_by_severity(client: Browser, cast: Cast) -> None:
    high, _, _, snoozed, _ = raise_alerts(
        finding(client=cast.client, owner=cast.owner, severity=3, title="Aerolux went quiet"),
        finding(
            client=cast.client,
            owner=cast.owner,
            rule="health_drop",
            title="Aerolux health fell",
        ),
        finding(
            project=cast.project,
            owner=cast.owner,
            rule="sentiment_drop",
            severity=1,
            title="Cabin software mood dips",
        ),
        finding(
            client=cast.client,
            owner=cast.owner,
            rule="no_face_to_face",
            title="No face-to-face at Aerolux",
        ),
        finding(
            project=cast.project,
            owner=cast.teammate,
            pm=cast.teammate,
            rule="single_threaded",
            title="Teammate's own alert",
        ),
        now=NOW - dt.timedelta(days=4),
    )
    (gone,) = raise_alerts(
        finding(client=cast.client, owner=cast.owner, rule="key_contact_change", title="Gone")
    )
    alert_resolve(alert=gone, actor=cast.owner, now=NOW)
    alert_snooze(alert=snoozed, actor=cast.owner, until=NOW + dt.timedelta(days=2), now=NOW)
    client.force_login(cast.owner)
    alerts = section(today(client), "alerts-heading")
    assert alerts.index("High <span") < alerts.index("Aerolux went quiet")
    assert alerts.index("Aerolux went quiet") < alerts.index("Medium <span")
    assert alerts.index("Medium <span") < alerts.index("Aerolux health fell")
    assert alerts.index("Aerolux health fell") < alerts.index("Low <span")
    assert alerts.index("Low <span") < alerts.index("Cabin software mood dips")
    assert "opened 4\xa0days ago" in alerts
    assert f'href="{high.get_absolute_url()}"' in alerts
    # Snoozed ones are counted, not listed; closed ones and others' are left out.
    assert "No face-to-face at Aerolux" not in alerts
    assert "1 snoozed alert out of sight" in alerts
    assert "Gone" not in alerts and "Teammate&#x27;s own alert" not in alerts


def test_it_shows_a_director_the_alerts_of_their_practice(client: Browser, cast: Cast) -> None:
    raise_alerts(
        finding(project=cast.project, owner=cast.teammate, pm=cast.teammate, title="Team alert"),
        finding(
            client=cast.other_client,
            owner=cast.outsider,
            rule="no_face_to_face",
            title="Other practice",
        ),
    )
    client.force_login(cast.director)
    alerts = section(today(client), "alerts-heading")
    assert "Team alert" in alerts and f"owner {cast.teammate}" in alerts
    assert "Other practice" not in alerts
    client.force_login(cast.owner)
    assert "Team alert" not in section(today(client), "alerts-heading")


def test_it_shows_overdue_next_steps_apart_from_the_others(client: Browser, cast: Cast) -> None:
    def step(text: str, due: dt.date | None, **fields: object) -> None:
        InteractionFactory(
            client=cast.client,
            logged_by=cast.owner,
            next_step=text,
            next_step_due=due,
            next_step_owner=fields.pop("owner", cast.owner),
            **fields,
        )

    step("Send the revised plan", dt.date(2026, 3, 6))
    step("Call the sponsor", dt.date(2026, 3, 9))
    step("Book the workshop", dt.date(2026, 3, 10))  # due today: not overdue yet
    step("Someday", None)
    step("Already done", dt.date(2026, 3, 2), next_step_done_at=NOW)
    step("The teammate's", dt.date(2026, 3, 2), owner=cast.teammate)
    client.force_login(cast.owner)
    page = today(client)
    overdue = section(page, "overdue-heading")
    assert overdue.index("Send the revised plan") < overdue.index("Call the sponsor")
    assert "due 2026-03-06" in overdue and "4\xa0days late" in overdue
    for other in ["Book the workshop", "Someday", "Already done", "The teammate"]:
        assert other not in overdue
    upcoming = section(page, "steps-heading")
    assert upcoming.index("Book the workshop") < upcoming.index("Someday")
    assert "Send the revised plan" not in upcoming


def test_it_shows_the_users_requests_past_their_deadline(client: Browser, cast: Cast) -> None:
    def raise_request(subject: str, raised: dt.datetime, **fields: object) -> ClientRequest:
        values = {
            "client": cast.client,
            "channel": "written",
            "priority": "high",  # one business day
            "subject": subject,
            "raised_at": raised,
            "owner": cast.owner,
        }
        return request_create(actor=cast.owner, fields=values | fields)

    late = raise_request("Send the test plan", dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    answered = raise_request("Answered late", dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    request_respond(actor=cast.owner, request=answered, at=NOW)
    raise_request("Still within its deadline", NOW - dt.timedelta(hours=1))
    raise_request(
        "The teammate's", dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), owner=cast.teammate
    )
    client.force_login(cast.owner)
    breached = section(today(client), "breached-heading")
    assert "Send the test plan" in breached
    assert f'href="{late.get_absolute_url()}"' in breached
    assert "high priority" in breached and "no response yet" in breached
    for other in ["Answered late", "Still within its deadline", "The teammate"]:
        assert other not in breached


def test_it_says_so_when_nothing_needs_attention(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    page = today(client)
    assert "No alert needs you." in page
    assert "None overdue." in page
    assert "every request of yours was answered in time" in page


def add_rows(cast: Cast, count: int) -> None:
    """`count` of each row the page lists, about the owner."""
    clients = [ClientFactory(account_lead=cast.owner) for _ in range(count)]
    projects = [ProjectFactory(client=c, manager=cast.owner) for c in clients]
    for n, p in enumerate(projects):  # due in the next 14 days, or late
        milestone(p, f"Milestone {n}", dt.date(2026, 3, 1) + dt.timedelta(days=n % 20))
    Alert.objects.all().delete()
    raise_alerts(
        *(
            finding(project=p, owner=cast.owner, pm=cast.owner, severity=1 + n % 3)
            for n, p in enumerate(projects)
        ),
        now=NOW - dt.timedelta(days=2),
    )
    for n, c in enumerate(clients):
        interaction = InteractionFactory(
            client=c,
            logged_by=cast.owner,
            next_step=f"Step {n}",
            next_step_owner=cast.owner,
            next_step_due=dt.date(2026, 3, 1) + dt.timedelta(days=n % 20),
        )
        interaction.contacts.add(cast.contact)
        interaction.staff.add(cast.teammate)
        request_create(
            actor=cast.owner,
            fields={
                "client": c,
                "channel": "phone",
                "priority": "normal",
                "subject": f"Request {n}",
                "raised_at": dt.datetime(2026, 2, 2, 9, 0, tzinfo=dt.UTC),
            },
        )


@pytest.mark.parametrize("who", ["owner", "director"])
def test_it_keeps_its_queries_constant_in_the_number_of_rows(
    client: Browser, cast: Cast, who: str
) -> None:
    client.force_login(cast.everyone()[who])
    add_rows(cast, 1)
    few = count_queries(lambda: today(client))
    add_rows(cast, 49)
    many = count_queries(lambda: today(client))
    assert few == many, f"{few} queries with 1 row of each, {many} with 50"


def test_it_shows_a_user_without_a_practice_only_their_own(client: Browser, cast: Cast) -> None:
    loner = UserFactory(username="loner")
    client.force_login(loner)
    page = today(client)
    assert "No alert needs you." in page
