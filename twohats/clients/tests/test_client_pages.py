from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.http.response import HttpResponseBase
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from twohats.clients.models import Client, Contact
from twohats.test import (
    Cast,
    ClientFactory,
    ContactFactory,
    InteractionFactory,
    OpportunityFactory,
    ProjectFactory,
    count_queries,
    read,
)


def csv_rows(response: HttpResponseBase) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read(response).decode())))


def test_it_lists_only_the_clients_a_pm_may_see(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    page = client.get(reverse("clients:list")).content.decode()
    assert "Aerolux" in page
    assert "Banque Zed" not in page


def test_it_filters_searches_and_exports_the_same_rows(client: Browser, cast: Cast) -> None:
    ClientFactory(name="Aeroparts", account_lead=cast.owner, industry="defence", tier="strategic")
    client.force_login(cast.director)
    query = {"q": "aero", "industry": "defence"}
    page = client.get(reverse("clients:list"), query).content.decode()
    assert "Aeroparts" in page and "Aerolux" not in page
    export = client.get(reverse("clients:list"), query | {"format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    assert [row["name"] for row in csv_rows(export)] == ["Aeroparts"]


def test_it_hides_archived_clients_unless_asked(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    client.post(reverse("clients:archive", args=[cast.client.pk]), {"archive": "1"})
    assert "Aerolux" not in client.get(reverse("clients:list")).content.decode()
    archived = client.get(reverse("clients:list"), {"archived": "archived"}).content.decode()
    assert "Aerolux" in archived
    client.post(reverse("clients:archive", args=[cast.client.pk]), {"archive": "0"})
    assert "Aerolux" in client.get(reverse("clients:list")).content.decode()


def test_it_paginates_the_client_list(client: Browser, cast: Cast) -> None:
    ClientFactory.create_batch(30, account_lead=cast.owner)
    client.force_login(cast.owner)
    first = client.get(reverse("clients:list")).content.decode()
    assert "Page 1 of 2" in first
    second = client.get(reverse("clients:list"), {"page": 2}).content.decode()
    assert "Page 2 of 2" in second


def test_it_rejects_an_unknown_filter_value_with_a_message(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    page = client.get(reverse("clients:list"), {"industry": "piracy"}).content.decode()
    assert "Select a valid choice" in page
    assert "Aerolux" not in page


def test_it_shows_both_hats_on_the_client_page(client: Browser, cast: Cast) -> None:
    boss = ContactFactory(client=cast.client, first_name="Grace", last_name="Hopper", power=5)
    cast.contact.reports_to = boss
    cast.contact.save()
    left_on = timezone.localdate() - dt.timedelta(days=30)
    ContactFactory(client=cast.client, first_name="Left", last_name="Person", left_on=left_on)
    cast.client.primary_contact = boss
    cast.client.save()
    client.force_login(cast.owner)
    page = client.get(reverse("clients:detail", args=[cast.client.pk])).content.decode()
    assert "Cabin software" in page  # projects
    assert "Grace Hopper" in page and "primary" in page  # stakeholders
    assert "Manage closely" in page  # quadrant named
    assert f"left {left_on:%Y-%m-%d}" in page  # a contact who left, with the date
    assert "All 3 contacts, 1 who left" in page
    assert cast.opportunity.title in page  # open opportunities
    assert cast.interaction.summary in page  # the timeline
    assert "Log an interaction" in page
    form = client.get(
        reverse("clients:log_interaction", args=[cast.client.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Roles it served" in form and "Marie Curie" in form


def test_it_shows_the_timeline_newest_first_and_pages_older_items(
    client: Browser, cast: Cast
) -> None:
    now = timezone.now()
    for days in range(1, 31):
        InteractionFactory(
            client=cast.client,
            logged_by=cast.owner,
            occurred_at=now - dt.timedelta(days=days, hours=1),
            summary=f"touchpoint {days:02d} days ago",
        )
    client.force_login(cast.owner)
    page = client.get(reverse("clients:detail", args=[cast.client.pk])).content.decode()
    assert page.index("touchpoint 01 days ago") < page.index("touchpoint 02 days ago")
    assert "touchpoint 25 days ago" not in page
    assert "Show older" in page
    more = client.get(
        reverse("clients:timeline", args=[cast.client.pk]), {"cursor": _cursor(page)}
    ).content.decode()
    assert "touchpoint 25 days ago" in more
    assert "touchpoint 05 days ago" not in more


def _cursor(page: str) -> str:
    import html
    import re
    from urllib.parse import unquote

    match = re.search(r'cursor=([^"&]+)', page)
    assert match
    return unquote(html.unescape(match.group(1)))


def test_it_creates_a_client_with_history(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("clients:create"),
        {
            "name": "Skyward Avionics",
            "industry": "aerospace",
            "tier": "key",
            "status": "active",
            "account_lead": cast.owner.pk,
            "time_zone": "Europe/Berlin",
        },
    )
    created = Client.objects.get(name="Skyward Avionics")
    assert response["Location"] == created.get_absolute_url()
    entry = LogEntry.objects.get_for_object(created).get()
    assert entry.actor == cast.owner
    page = client.get(created.get_absolute_url()).content.decode()
    assert "History" in page and "created" in page


def test_it_refuses_a_bad_client_and_writes_nothing(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    before = Client.objects.count()
    response = client.post(
        reverse("clients:create"),
        {
            "name": "",
            "industry": "piracy",
            "tier": "key",
            "status": "active",
            "account_lead": cast.owner.pk,
            "time_zone": "Mars/Olympus",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required" in body
    assert "Select a valid choice" in body
    assert Client.objects.count() == before


def test_it_keeps_a_pm_from_creating_a_client_for_someone_else(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("clients:create"),
        {
            "name": "Elsewhere",
            "industry": "aerospace",
            "tier": "key",
            "status": "active",
            "account_lead": cast.teammate.pk,
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 400
    assert not Client.objects.filter(name="Elsewhere").exists()


def test_it_refuses_to_save_over_someone_elses_change(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    stale_version = cast.client.version
    cast.client.notes = "changed meanwhile"
    cast.client.version += 1
    cast.client.save()
    response = client.post(
        reverse("clients:edit", args=[cast.client.pk]),
        {
            "name": "Renamed",
            "industry": "aerospace",
            "tier": "key",
            "status": "active",
            "account_lead": cast.owner.pk,
            "time_zone": "UTC",
            "version": stale_version,
        },
    )
    assert response.status_code == 400
    assert "changed by someone else" in response.content.decode()
    cast.client.refresh_from_db()
    assert cast.client.name == "Aerolux"


def test_it_records_what_changed_when_a_client_is_edited(client: Browser, cast: Cast) -> None:
    client.force_login(cast.director)
    client.post(
        reverse("clients:edit", args=[cast.client.pk]),
        {
            "name": "Aerolux Group",
            "industry": "aerospace",
            "tier": "strategic",
            "status": "active",
            "account_lead": cast.owner.pk,
            "time_zone": "Europe/Paris",
            "version": cast.client.version,
        },
    )
    entry = LogEntry.objects.get_for_object(cast.client).latest("timestamp")
    assert entry.actor == cast.director
    assert entry.changes_dict["name"] == ["Aerolux", "Aerolux Group"]
    page = client.get(cast.client.get_absolute_url()).content.decode()
    assert "Aerolux Group" in page and "Strategic" in page


def test_it_lets_only_an_admin_delete_a_client(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    assert client.post(reverse("clients:delete", args=[cast.client.pk])).status_code == 403
    client.force_login(cast.admin)
    response = client.post(reverse("clients:delete", args=[cast.client.pk]))
    assert response.status_code == 302
    assert not Client.objects.filter(pk=cast.client.pk).exists()


def test_it_refuses_a_reporting_loop(client: Browser, cast: Cast) -> None:
    report = ContactFactory(client=cast.client, reports_to=cast.contact)
    client.force_login(cast.owner)
    response = client.post(
        reverse("contacts:edit", args=[cast.contact.pk]),
        {
            "first_name": "Marie",
            "last_name": "Curie",
            "power": 4,
            "interest": 4,
            "stance": "supporter",
            "reports_to": report.pk,
            "version": cast.contact.version,
        },
    )
    assert response.status_code == 400
    assert "loop" in response.content.decode()
    cast.contact.refresh_from_db()
    assert cast.contact.reports_to is None


def test_it_refuses_a_contact_reporting_to_themselves(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("contacts:edit", args=[cast.contact.pk]),
        {
            "first_name": "Marie",
            "last_name": "Curie",
            "power": 4,
            "interest": 4,
            "stance": "supporter",
            "reports_to": cast.contact.pk,
            "version": cast.contact.version,
        },
    )
    assert response.status_code == 400
    cast.contact.refresh_from_db()
    assert cast.contact.reports_to is None


def test_it_refuses_a_boss_from_another_client(client: Browser, cast: Cast) -> None:
    stranger = ContactFactory(client=cast.other_client)
    client.force_login(cast.admin)
    response = client.post(
        reverse("contacts:edit", args=[cast.contact.pk]),
        {
            "first_name": "Marie",
            "last_name": "Curie",
            "power": 4,
            "interest": 4,
            "stance": "supporter",
            "reports_to": stranger.pk,
            "version": cast.contact.version,
        },
    )
    assert response.status_code == 400
    cast.contact.refresh_from_db()
    assert cast.contact.reports_to is None


def test_it_adds_a_contact_from_the_client_page(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("contacts:create"),
        {
            "client": cast.client.pk,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "title": "CIO",
            "power": 5,
            "interest": 2,
            "stance": "skeptic",
        },
    )
    contact = Contact.objects.get(last_name="Lovelace")
    assert response["Location"] == contact.get_absolute_url()
    assert contact.client == cast.client and contact.quadrant == "Keep satisfied"


def add_account_rows(cast: Cast, rows: int) -> None:
    """Rows on every part of the client page: contacts, projects with teams, interactions with
    people, opportunities."""
    for _ in range(rows):
        contact = ContactFactory(client=cast.client, reports_to=cast.contact)
        project = ProjectFactory(client=cast.client, manager=cast.owner, members=[cast.teammate])
        interaction = InteractionFactory(client=cast.client, project=project, logged_by=cast.owner)
        interaction.contacts.add(contact)
        interaction.staff.add(cast.teammate)
        OpportunityFactory(client=cast.client, identified_by=cast.owner)
        ClientFactory(account_lead=cast.owner)


PAGES = {
    "client list": lambda cast: reverse("clients:list"),
    "client list csv": lambda cast: reverse("clients:list") + "?format=csv",
    "client page": lambda cast: reverse("clients:detail", args=[cast.client.pk]),
    "timeline": lambda cast: reverse("clients:timeline", args=[cast.client.pk]),
    "contact list": lambda cast: reverse("contacts:list"),
    "project list": lambda cast: reverse("projects:list"),
    "project list csv": lambda cast: reverse("projects:list") + "?format=csv",
    "interaction list": lambda cast: reverse("interactions:list"),
    "interaction list csv": lambda cast: reverse("interactions:list") + "?format=csv",
    "opportunity list": lambda cast: reverse("growth:list"),
    "project page": lambda cast: reverse("projects:detail", args=[cast.project.pk]),
    "contact page": lambda cast: reverse("contacts:detail", args=[cast.contact.pk]),
    "today": lambda cast: reverse("home"),
}


@pytest.mark.parametrize("page", PAGES)
def test_it_keeps_page_queries_constant_in_the_number_of_rows(
    client: Browser, cast: Cast, page: str
) -> None:
    client.force_login(cast.owner)
    url = PAGES[page](cast)
    add_account_rows(cast, 1)
    few = count_queries(lambda: read(client.get(url)))
    add_account_rows(cast, 49)
    many = count_queries(lambda: read(client.get(url)))
    assert few == many, f"{page}: {few} queries with 1 row, {many} with 50"


def test_it_shows_the_most_powerful_stakeholders_first_and_links_to_all(
    client: Browser, cast: Cast
) -> None:
    for n in range(20):
        ContactFactory(client=cast.client, last_name=f"Minor{n:02d}", power=1, interest=1)
    ContactFactory(client=cast.client, first_name="Big", last_name="Boss", power=5, interest=5)
    client.force_login(cast.owner)
    page = client.get(reverse("clients:detail", args=[cast.client.pk])).content.decode()
    assert page.index("Big Boss") < page.index("Marie Curie")
    assert "Minor19</a>" not in page  # beyond the key stakeholders (still in the form)
    assert "The 15 most powerful of 22 current contacts." in page
    listing = client.get(reverse("contacts:list"), {"client": cast.client.pk}).content.decode()
    assert "Minor19" in listing and "Banque" not in listing
