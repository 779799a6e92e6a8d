from __future__ import annotations

import datetime as dt

import time_machine
from auditlog.models import LogEntry
from django.test import Client as Browser
from django.urls import reverse

from twohats.interactions.models import Interaction
from twohats.test import Cast, ContactFactory

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)


def form_data(cast: Cast, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "steering",
        "channel": "in_person",
        "location": "client_site",
        "project": cast.project.pk,
        "occurred_at": "2026-11-20T14:00",
        "duration_minutes": 90,
        "contacts": [cast.contact.pk],
        "staff": [cast.owner.pk, cast.teammate.pk],
        "roles": ["implementer", "politician"],
        "sentiment": 1,
        "summary": "Steering committee agreed the phase 2 scope.",
        "next_step": "Send the phase 2 estimate",
        "next_step_due": "2026-11-27",
        "next_step_owner": cast.owner.pk,
    }
    return data | overrides


@time_machine.travel(NOW, tick=False)
def test_it_logs_an_interaction_from_the_client_page_with_htmx(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("clients:log_interaction", args=[cast.client.pk]),
        form_data(cast),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Interaction logged." in body
    assert 'hx-swap-oob="afterbegin:#timeline-items"' in body  # prepended to the timeline
    assert "Steering committee agreed the phase 2 scope." in body
    logged = Interaction.objects.get(kind="steering")
    assert logged.logged_by == cast.owner
    assert logged.roles == ["implementer", "politician"]
    assert list(logged.contacts.all()) == [cast.contact]
    assert set(logged.staff.all()) == {cast.owner, cast.teammate}
    assert logged.is_face_to_face
    # Entered in the user's time zone (Europe/Paris, UTC+1 in November).
    assert logged.occurred_at == dt.datetime(2026, 11, 20, 13, 0, tzinfo=dt.UTC)
    entries = LogEntry.objects.get_for_object(logged)
    assert {e.actor for e in entries} == {cast.owner}
    assert entries.filter(action=LogEntry.Action.CREATE).count() == 1


@time_machine.travel(NOW, tick=False)
def test_it_logs_an_interaction_without_javascript(client: Browser, cast: Cast) -> None:
    client.force_login(cast.teammate)
    response = client.post(
        reverse("clients:log_interaction", args=[cast.client.pk]), form_data(cast)
    )
    assert response.status_code == 302
    assert response["Location"] == cast.client.get_absolute_url()
    assert Interaction.objects.filter(kind="steering", logged_by=cast.teammate).exists()


@time_machine.travel(NOW, tick=False)
def test_it_shows_errors_in_the_form_and_writes_nothing(client: Browser, cast: Cast) -> None:
    stranger = ContactFactory(client=cast.other_client)
    client.force_login(cast.owner)
    before = Interaction.objects.count()
    response = client.post(
        reverse("clients:log_interaction", args=[cast.client.pk]),
        form_data(
            cast,
            roles=[],
            sentiment=5,
            contacts=[stranger.pk],
            summary="",
            duration_minutes=0,
        ),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Pick at least one role the interaction served." in body
    assert "Select a valid choice" in body  # the other client's contact, the sentiment
    assert "This field is required." in body  # summary
    assert "is-invalid" in body
    assert Interaction.objects.count() == before


@time_machine.travel(NOW, tick=False)
def test_it_refuses_a_next_step_due_date_without_a_next_step(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("clients:log_interaction", args=[cast.client.pk]),
        form_data(cast, next_step="", next_step_owner=""),
    )
    assert response.status_code == 422
    assert "Say what the next step is" in response.content.decode()
    assert not Interaction.objects.filter(kind="steering").exists()


@time_machine.travel(NOW, tick=False)
def test_it_refuses_a_project_of_another_client(client: Browser, cast: Cast) -> None:
    from twohats.test import ProjectFactory

    elsewhere = ProjectFactory(client=cast.other_client, manager=cast.outsider)
    client.force_login(cast.admin)
    response = client.post(
        reverse("clients:log_interaction", args=[cast.client.pk]),
        form_data(cast, project=elsewhere.pk),
    )
    assert response.status_code == 422
    assert not Interaction.objects.filter(kind="steering").exists()


@time_machine.travel(NOW, tick=False)
def test_it_edits_an_interaction_and_keeps_the_history(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    interaction = cast.interaction
    response = client.post(
        reverse("interactions:edit", args=[interaction.pk]),
        form_data(cast, sentiment=-1, roles=["friend"], version=interaction.version),
    )
    assert response.status_code == 302
    interaction.refresh_from_db()
    assert interaction.sentiment == -1 and interaction.roles == ["friend"]
    page = client.get(interaction.get_absolute_url()).content.decode()
    assert "History" in page and "sentiment" in page


@time_machine.travel(NOW, tick=False)
def test_it_deletes_an_interaction_after_confirmation(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("interactions:delete", args=[cast.interaction.pk])
    confirm = client.get(url)
    assert "cannot be undone" in confirm.content.decode()
    assert Interaction.objects.filter(pk=cast.interaction.pk).exists()
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.content == b""
    assert not Interaction.objects.filter(pk=cast.interaction.pk).exists()


@time_machine.travel(NOW, tick=False)
def test_it_marks_a_next_step_done_and_reopens_it(client: Browser, cast: Cast) -> None:
    cast.interaction.next_step = "Book the workshop room"
    cast.interaction.save()
    client.force_login(cast.owner)
    url = reverse("interactions:done", args=[cast.interaction.pk])
    response = client.post(url, {"done": "1"}, headers={"HX-Request": "true"})
    assert "Reopen next step" in response.content.decode()
    cast.interaction.refresh_from_db()
    assert cast.interaction.next_step_done_at == NOW
    client.post(url, {"done": "0"})
    cast.interaction.refresh_from_db()
    assert cast.interaction.next_step_done_at is None


def test_it_lists_interactions_and_exports_them(client: Browser, cast: Cast) -> None:
    client.force_login(cast.director)
    page = client.get(reverse("interactions:list"), {"role": "implementer"}).content.decode()
    assert cast.interaction.summary in page
    none = client.get(reverse("interactions:list"), {"role": "marketer"}).content.decode()
    assert cast.interaction.summary not in none
    from twohats.test import read

    csv_body = read(client.get(reverse("interactions:list"), {"format": "csv"})).decode()
    assert cast.interaction.summary in csv_body and "Marie Curie" in csv_body


def test_it_links_each_timeline_item_to_its_actions(client: Browser, cast: Cast) -> None:
    cast.interaction.next_step = "Book the workshop room"
    cast.interaction.save()
    client.force_login(cast.owner)
    page = client.get(reverse("clients:detail", args=[cast.client.pk])).content.decode()
    for name in (
        "interactions:detail",
        "interactions:edit",
        "interactions:delete",
        "interactions:done",
    ):
        assert f'"{reverse(name, args=[cast.interaction.pk])}"' in page, name
