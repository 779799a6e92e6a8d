"""Client request pages: the list per client and per owner, a request's page, logging and
answering from the client page, and who may do what."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest
import time_machine
from auditlog.models import LogEntry
from django.test import Client as Browser
from django.urls import reverse

from twohats.interactions.models import ClientRequest
from twohats.interactions.tests.conftest import MakeRequest
from twohats.test import Cast, ClientFactory, ContactFactory, count_queries, read

# Monday 23 November 2026, 16:30 in Paris (the cast's users and clients are in Paris).
NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)
FRIDAY = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # 16:00 in Paris

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def form_data(cast: Cast, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "subject": "Quote for the extra test campaign",
        "priority": "critical",
        "channel": "phone",
        "raised_at": "2026-11-20T16:00",
        "raised_by": cast.contact.pk,
        "project": cast.project.pk,
        "owner": cast.teammate.pk,
        "details": "Needed before their budget meeting.",
    }
    return {f"request-{name}": value for name, value in (data | overrides).items()}


# ---------------------------------------------------------------------------------------------
# Logging


def test_it_logs_a_request_from_the_client_page_with_htmx(client: Browser, cast: Cast) -> None:
    client.force_login(cast.teammate)
    response = client.post(
        reverse("requests:log", args=[cast.client.pk]),
        form_data(cast),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="client-requests"' in body  # the section, swapped in again
    assert "Request logged" in body and "Quote for the extra test campaign" in body
    logged = ClientRequest.objects.get()
    assert (logged.logged_by, logged.owner, logged.raised_by) == (
        cast.teammate,
        cast.teammate,
        cast.contact,
    )
    # Entered in the user's time zone: Friday 16:00 in Paris; due Monday 12:00 there.
    assert logged.raised_at == FRIDAY
    assert logged.due_at == dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
    assert LogEntry.objects.get_for_object(logged).get().actor == cast.teammate


def test_it_logs_a_request_without_javascript(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("requests:log", args=[cast.client.pk])
    page = client.get(url).content.decode()
    assert "Log a request from Aerolux" in page and "Marie Curie" in page
    response = client.post(url, form_data(cast))
    logged = ClientRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == logged.get_absolute_url()


def test_it_shows_errors_in_the_section_and_writes_nothing(client: Browser, cast: Cast) -> None:
    stranger = ContactFactory(client=cast.other_client)
    client.force_login(cast.owner)
    response = client.post(
        reverse("requests:log", args=[cast.client.pk]),
        form_data(cast, subject="", raised_by=stranger.pk, raised_at="2026-11-25T10:00"),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "This field is required." in body  # subject
    assert "Select a valid choice" in body  # another client's contact
    assert '<details class="card mt-2" open>' in body
    assert not ClientRequest.objects.exists()


def test_it_refuses_a_request_raised_in_the_future(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("requests:log", args=[cast.client.pk]),
        form_data(cast, raised_at="2026-11-24T09:00"),
    )
    assert response.status_code == 422
    assert "This time is in the future" in response.content.decode()
    assert not ClientRequest.objects.exists()


# ---------------------------------------------------------------------------------------------
# The client page's section


def test_it_loads_the_section_from_the_client_page(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    page = client.get(reverse("clients:detail", args=[cast.client.pk])).content.decode()
    section = reverse("requests:client_section", args=[cast.client.pk])
    assert f'hx-get="{section}" hx-trigger="load"' in page
    assert f'href="{reverse("requests:list")}?client={cast.client.pk}"' in page  # without JS


def test_it_lists_open_requests_first_and_highlights_overdue_ones(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    overdue = make_request(subject="Overdue one", priority="critical")  # due Monday 12:00
    make_request(subject="Still in time", priority="low")
    late = make_request(subject="Answered late", priority="critical")
    late_at = dt.datetime(2026, 11, 23, 14, 0, tzinfo=dt.UTC)
    client.force_login(cast.owner)
    client.post(
        reverse("requests:respond", args=[late.pk]), {"first_response_at": "2026-11-23T15:00"}
    )
    late.refresh_from_db()
    assert late.first_response_at == late_at and late.breached
    body = client.get(reverse("requests:client_section", args=[cast.client.pk])).content.decode()
    assert "2 awaiting a first response, <strong>1 overdue</strong>" in body
    assert body.index("Overdue one") < body.index("Still in time") < body.index("Latest answered")
    assert body.index("Latest answered") < body.index("Answered late")
    row = body[body.rindex("<li", 0, body.index("Overdue one")) : body.index("Still in time")]
    assert "list-group-item-danger" in row and ">Overdue<" in row  # colour and words
    assert "SLA missed" in body
    assert "Log a request" in body
    assert overdue.get_absolute_url() in body


def test_it_answers_a_request_from_the_section(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request(priority="critical")
    client.force_login(cast.owner)
    body = client.get(reverse("requests:client_section", args=[cast.client.pk])).content.decode()
    assert "Answered now" in body
    response = client.post(
        reverse("requests:respond", args=[request.pk]),
        {"version": request.version},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "First response recorded." in response.content.decode()
    request.refresh_from_db()
    assert request.first_response_at == NOW
    assert request.response_minutes == 60 + 8 * 60 - 60 + 30  # Friday 1 h, Monday 9:00-16:30
    assert request.breached is True


def test_it_shows_an_executive_the_section_without_forms(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    make_request()
    client.force_login(cast.executive)
    body = client.get(reverse("requests:client_section", args=[cast.client.pk])).content.decode()
    assert "Send the revised test plan" in body
    assert "Log a request" not in body and "Answered now" not in body


# ---------------------------------------------------------------------------------------------
# The list and a request's page


def test_it_filters_the_list_by_client_owner_priority_and_status(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    elsewhere = ClientFactory(name="Orbital", account_lead=cast.teammate)
    mine = make_request(subject="Owner's request")
    theirs = make_request(
        subject="Teammate's request",
        owner=cast.teammate,
        client=elsewhere,
        project=None,
        raised_by=None,
        priority="low",
    )
    client.force_login(cast.director)
    url = reverse("requests:list")

    def subjects(**query: object) -> list[str]:
        page = client.get(url, query).content.decode()
        return [s for s in (mine.subject, theirs.subject) if s.replace("'", "&#x27;") in page]

    assert subjects() == [mine.subject, theirs.subject]
    assert subjects(client=cast.client.pk) == [mine.subject]
    assert subjects(owner=cast.teammate.pk) == [theirs.subject]
    assert subjects(priority="low") == [theirs.subject]
    assert subjects(status="overdue") == [mine.subject]  # due at 16:00 in Paris, before now
    assert subjects(status="answered") == []
    assert subjects(q="orbital") == [theirs.subject]


def test_it_offers_a_shortcut_to_my_requests(client: Browser, cast: Cast) -> None:
    client.force_login(cast.teammate)
    page = client.get(reverse("requests:list")).content.decode()
    assert f'href="?owner={cast.teammate.pk}"' in page
    mine = client.get(reverse("requests:list"), {"owner": cast.teammate.pk}).content.decode()
    assert 'aria-current="true">Mine' in mine


def test_it_highlights_missed_slas_in_words_and_exports_the_same_rows(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    make_request(subject="Overdue one", priority="critical")
    make_request(subject="Still in time", priority="low")
    client.force_login(cast.owner)
    page = client.get(reverse("requests:list"), {"missed": "true"}).content.decode()
    assert "Overdue one" in page and "Still in time" not in page
    assert 'class="table-danger"' in page and ">Overdue<" in page
    export = read(client.get(reverse("requests:list"), {"missed": "true", "format": "csv"}))
    rows = list(csv.DictReader(io.StringIO(export.decode())))
    assert [(r["subject"], r["overdue"], r["sla business minutes"]) for r in rows] == [
        ("Overdue one", "yes", "240")
    ]


def test_it_shows_a_request_with_its_deadline_and_response_time(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request(priority="critical")
    client.force_login(cast.owner)
    url = request.get_absolute_url()
    page = client.get(url).content.decode()
    assert "4 h of business time" in page and "policy v1" in page
    assert "Mon 23 Nov, 12:00 at the client" in page
    assert "overdue, no response yet" in page
    assert "Record the first response" in page
    response = client.post(
        reverse("requests:respond", args=[request.pk]), {"first_response_at": "2026-11-23T13:30"}
    )
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url).content.decode()
    assert "after 5 h 30 min of business time: <strong>SLA missed</strong>" in page
    assert "Resolve the request" in page
    assert "History" in page and "response minutes" in page
    client.post(reverse("requests:resolve", args=[request.pk]), {"resolved_at": ""})
    request.refresh_from_db()
    assert request.resolved_at == NOW


def test_it_shows_the_error_of_a_response_before_the_request(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request()
    client.force_login(cast.owner)
    response = client.post(
        reverse("requests:respond", args=[request.pk]), {"first_response_at": "2026-11-19T10:00"}
    )
    assert response.status_code == 400
    assert "cannot come before the request" in response.content.decode()
    request.refresh_from_db()
    assert request.first_response_at is None and request.version == 1


def test_it_edits_a_request_and_moves_its_deadline(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request(priority="high")
    client.force_login(cast.owner)
    response = client.post(
        reverse("requests:edit", args=[request.pk]),
        form_data(cast, priority="low", version=request.version, owner=cast.owner.pk),
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.priority, request.sla_minutes) == ("low", 2400)
    stale = client.post(
        reverse("requests:edit", args=[request.pk]), form_data(cast, version=1, owner=cast.owner.pk)
    )
    assert stale.status_code == 400 and "changed by someone else" in stale.content.decode()


def test_it_deletes_a_request_after_confirmation(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    request = make_request()
    client.force_login(cast.owner)
    url = reverse("requests:delete", args=[request.pk])
    assert "cannot be undone" in client.get(url).content.decode()
    response = client.post(url)
    assert response["Location"] == cast.client.get_absolute_url()
    assert not ClientRequest.objects.exists()


# ---------------------------------------------------------------------------------------------
# Access

WHO = ["owner", "teammate", "outsider", "director", "other_director", "executive", "admin"]
SEE = dict(zip(WHO, [200, 200, 404, 200, 404, 200, 200], strict=True))
EDIT = dict(zip(WHO, [200, 403, 404, 200, 404, 403, 200], strict=True))
LOG = dict(zip(WHO, [200, 200, 404, 200, 404, 403, 200], strict=True))

Url = Callable[[Cast, ClientRequest], str]


def on_request(name: str) -> Url:
    return lambda cast, request: reverse(name, args=[request.pk])


def on_client(name: str) -> Url:
    return lambda cast, request: reverse(name, args=[cast.client.pk])


GETS: list[tuple[str, Url, dict[str, int]]] = [
    ("request page", on_request("requests:detail"), SEE),
    ("request edit", on_request("requests:edit"), EDIT),
    ("record response", on_request("requests:respond"), EDIT),
    ("resolve", on_request("requests:resolve"), EDIT),
    ("request delete", on_request("requests:delete"), EDIT),
    ("client section", on_client("requests:client_section"), SEE),
    ("log request", on_client("requests:log"), LOG),
]


@pytest.mark.parametrize("name,make_url,expected", GETS, ids=[g[0] for g in GETS])
def test_it_answers_each_url_according_to_access(
    client: Browser,
    cast: Cast,
    make_request: MakeRequest,
    name: str,
    make_url: Url,
    expected: dict[str, int],
) -> None:
    request = make_request()  # owned and logged by the account lead
    for who, user in cast.everyone().items():
        client.force_login(user)
        response = client.get(make_url(cast, request))
        assert response.status_code == expected[who], f"{who} on {name}"


@pytest.mark.parametrize("action", ["respond", "resolve"])
def test_it_lets_only_editors_answer_and_resolve(
    client: Browser, cast: Cast, make_request: MakeRequest, action: str
) -> None:
    for who, user in cast.everyone().items():
        request = make_request()
        if action == "resolve":
            request.first_response_at = FRIDAY + dt.timedelta(hours=1)
            request.save()
        client.force_login(user)
        response = client.post(reverse(f"requests:{action}", args=[request.pk]), {})
        assert response.status_code == {200: 302}.get(EDIT[who], EDIT[who]), who
        request.refresh_from_db()
        done = request.first_response_at == NOW or request.resolved_at == NOW
        assert done is (EDIT[who] == 200), who


def test_it_lets_a_teammate_answer_the_requests_they_own_or_logged(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    owned = make_request(owner=cast.teammate)
    logged = make_request(actor=cast.teammate)
    client.force_login(cast.teammate)
    for request in (owned, logged):
        response = client.post(reverse("requests:respond", args=[request.pk]), {})
        assert response.status_code == 302
        request.refresh_from_db()
        assert request.first_response_at == NOW
        assert client.get(reverse("requests:edit", args=[request.pk])).status_code == 200


def test_it_refuses_an_executive_logging_a_request(client: Browser, cast: Cast) -> None:
    client.force_login(cast.executive)
    response = client.post(reverse("requests:log", args=[cast.client.pk]), form_data(cast))
    assert response.status_code == 403
    assert not ClientRequest.objects.exists()


def test_it_leaves_requests_others_may_not_see_out_of_the_list(
    client: Browser, cast: Cast, make_request: MakeRequest
) -> None:
    make_request(subject="Confidential ask")
    for who, user in cast.everyone().items():
        client.force_login(user)
        page = client.get(reverse("requests:list")).content.decode()
        assert ("Confidential ask" in page) is (SEE[who] == 200), who


def test_it_sends_anonymous_visitors_to_sign_in(client: Browser, db: None) -> None:
    response = client.get(reverse("requests:list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# ---------------------------------------------------------------------------------------------
# Query counts

PAGES: dict[str, Callable[[Cast], str]] = {
    "request list": lambda cast: reverse("requests:list"),
    "request list of a client": lambda cast: reverse("requests:list") + f"?client={cast.client.pk}",
    "request list csv": lambda cast: reverse("requests:list") + "?format=csv",
    "client section": lambda cast: reverse("requests:client_section", args=[cast.client.pk]),
}


def add_requests(cast: Cast, make_request: MakeRequest, count: int) -> None:
    """Half answered, half awaiting; each with its project, contact and owner."""
    for n in range(count):
        request = make_request(owner=cast.teammate if n % 2 else cast.owner)
        if n % 2:
            ClientRequest.objects.filter(pk=request.pk).update(
                first_response_at=FRIDAY + dt.timedelta(hours=1),
                response_minutes=60,
                breached=False,
            )


@pytest.mark.parametrize("page", PAGES)
def test_it_keeps_page_queries_constant_in_the_number_of_rows(
    client: Browser, cast: Cast, make_request: MakeRequest, page: str
) -> None:
    client.force_login(cast.owner)
    url = PAGES[page](cast)
    add_requests(cast, make_request, 2)
    few = count_queries(lambda: read(client.get(url)))
    add_requests(cast, make_request, 48)
    many = count_queries(lambda: read(client.get(url)))
    assert few == many, f"{page}: {few} queries with 2 rows, {many} with 50"
