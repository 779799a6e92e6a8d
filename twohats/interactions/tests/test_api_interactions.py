"""Interactions over the API: roles as names, people as ids, next steps, real deletes."""

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client as HttpClient

from twohats.interactions.models import Interaction
from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.test import Cast, ContactFactory, InteractionFactory, ProjectFactory

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()


def signed_in(user: User) -> HttpClient:
    """The shared client, acting as `user` through a personal token (no session to set up)."""
    _, raw = api_token_create(user=user, name="API tests")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def new_interaction(cast: Cast, **changes: Any) -> dict[str, Any]:
    return {
        "client": cast.client.pk,
        "project": cast.project.pk,
        "kind": "workshop",
        "channel": "in_person",
        "location": "client_site",
        "occurred_at": "2026-03-04T09:30:00+01:00",
        "duration_minutes": 120,
        "contacts": [cast.contact.pk],
        "staff": [cast.owner.pk, cast.teammate.pk],
        "roles": ["coach", "friend"],
        "sentiment": 2,
        "summary": "Trained the client's testers on the new rig.",
        "next_step": "Send the training slides",
        "next_step_due": "2026-03-06",
        "next_step_owner": cast.teammate.pk,
    } | changes


def create(user: User, body: dict[str, Any]) -> Any:
    return signed_in(user).post("/api/v1/interactions", body, content_type="application/json")


def patch(user: User, interaction: Interaction, body: dict[str, Any]) -> Any:
    return signed_in(user).patch(
        f"/api/v1/interactions/{interaction.pk}", body, content_type="application/json"
    )


def test_it_logs_an_interaction_with_roles_people_and_history(cast: Cast) -> None:
    response = create(cast.teammate, new_interaction(cast))
    assert response.status_code == 201
    data = response.json()
    interaction = Interaction.objects.get(pk=data["id"])
    assert interaction.logged_by == cast.teammate
    assert interaction.roles == ["coach", "friend"]
    assert (interaction.role_coach, interaction.role_implementer) == (True, False)
    assert list(interaction.contacts.all()) == [cast.contact]
    assert set(interaction.staff.all()) == {cast.owner, cast.teammate}
    assert data["roles"] == ["coach", "friend"]
    assert data["staff"] == sorted([cast.owner.pk, cast.teammate.pk])
    assert data["logged_by"] == cast.teammate.pk
    assert data["next_step_owner"] == cast.teammate.pk and data["next_step_done"] is False
    assert data["occurred_at"] == "2026-03-04T08:30:00Z"
    entry = LogEntry.objects.get_for_object(interaction).filter(action=LogEntry.Action.CREATE)
    assert entry.get().actor == cast.teammate


def test_it_lets_a_teammate_edit_what_they_logged(cast: Cast) -> None:
    mine = InteractionFactory(client=cast.client, logged_by=cast.teammate)
    response = patch(cast.teammate, mine, {"roles": ["marketer"], "sentiment": -1, "version": 1})
    assert response.status_code == 200
    mine.refresh_from_db()
    assert (mine.roles, mine.sentiment, mine.version) == (["marketer"], -1, 2)
    assert (
        LogEntry.objects.get_for_object(mine)
        .filter(action=LogEntry.Action.UPDATE, actor=cast.teammate)
        .exists()
    )


def test_it_marks_the_next_step_done_and_open_again(cast: Cast) -> None:
    interaction = cast.interaction
    body = {"next_step": "Book the steering review", "next_step_done": True}
    response = patch(cast.owner, interaction, body)
    assert response.status_code == 200
    assert response.json()["next_step_done"] is True
    interaction.refresh_from_db()
    done_at = interaction.next_step_done_at
    assert done_at is not None
    # Saying it again keeps the first time it was done.
    assert patch(cast.owner, interaction, {"next_step_done": True}).status_code == 200
    interaction.refresh_from_db()
    assert interaction.next_step_done_at == done_at
    assert (
        patch(cast.owner, interaction, {"next_step_done": False}).json()["next_step_done"] is False
    )


def test_it_replaces_contacts_and_clears_the_project(cast: Cast) -> None:
    other = ContactFactory(client=cast.client)
    response = patch(cast.owner, cast.interaction, {"contacts": [other.pk], "project": None})
    assert response.status_code == 200
    assert response.json()["contacts"] == [other.pk]
    cast.interaction.refresh_from_db()
    assert cast.interaction.project is None
    assert list(cast.interaction.contacts.all()) == [other]


def test_it_deletes_an_interaction_with_history(cast: Cast) -> None:
    interaction = cast.interaction
    response = signed_in(cast.owner).delete(f"/api/v1/interactions/{interaction.pk}")
    assert response.status_code == 204
    assert not Interaction.objects.filter(pk=interaction.pk).exists()
    entry = LogEntry.objects.get_for_object(interaction).filter(action=LogEntry.Action.DELETE)
    assert entry.get().actor == cast.owner


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"sentiment": 3}, "sentiment"),
        ({"sentiment": -3}, "sentiment"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 24 * 60 + 1}, "duration_minutes"),
        ({"kind": "telepathy"}, "kind"),
        ({"roles": ["wizard"]}, "roles"),
        ({"occurred_at": "2026-03-04T09:30:00"}, "occurred_at"),
        ({"summary": ""}, "summary"),
        ({"next_step": "n" * 301}, "next_step"),
        ({"next_step": "", "next_step_owner": None}, "next_step"),
        ({"next_step": "", "next_step_due": None, "next_step_owner": None}, None),
        ({"contacts": [999999]}, "contacts"),
        ({"staff": [999999]}, "staff"),
        ({"next_step_owner": 999999}, "next_step_owner"),
        ({"client": 999999}, "client"),
        ({"project": 999999}, "project"),
    ],
)
def test_it_refuses_invalid_values_naming_the_field(
    cast: Cast, changes: dict[str, Any], field: str | None
) -> None:
    count = Interaction.objects.count()
    response = create(cast.owner, new_interaction(cast, **changes))
    if field is None:
        # Without a due date or owner, an empty next step is fine.
        assert response.status_code == 201
        return
    assert response.status_code == 422, response.json()
    assert [error["loc"][:2] for error in response.json()["detail"]] == [["body", field]]
    assert Interaction.objects.count() == count


def test_it_refuses_people_and_projects_of_another_client(cast: Cast) -> None:
    stranger = ContactFactory(client=cast.other_client)
    elsewhere = ProjectFactory(client=cast.other_client)
    for user in [cast.owner, cast.admin]:  # invisible to the owner, visible to the admin
        for changes, field in [
            ({"contacts": [cast.contact.pk, stranger.pk]}, "contacts"),
            ({"project": elsewhere.pk}, "project"),
        ]:
            response = create(user, new_interaction(cast, **changes))
            assert response.status_code == 422
            assert response.json()["detail"][0]["loc"] == ["body", field]
    assert Interaction.objects.count() == 1


def test_it_refuses_to_mark_a_missing_next_step_done(cast: Cast) -> None:
    response = patch(cast.owner, cast.interaction, {"next_step_done": True})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "next_step_done"]
    cast.interaction.refresh_from_db()
    assert cast.interaction.next_step_done_at is None


def test_it_refuses_a_client_the_user_may_not_see(cast: Cast) -> None:
    response = create(cast.outsider, new_interaction(cast, project=None, contacts=[], staff=[]))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "client"]


def test_it_refuses_a_stale_version_with_409(cast: Cast) -> None:
    assert patch(cast.owner, cast.interaction, {"sentiment": 0}).status_code == 200
    response = patch(cast.owner, cast.interaction, {"sentiment": -2, "version": 1})
    assert response.status_code == 409
    cast.interaction.refresh_from_db()
    assert cast.interaction.sentiment == 0
