"""Surveys over the API: the current templates, a project's invitations (list, invite, revoke)
and a client's results; the same access rules and error shapes as the other endpoints, and no
token in any output."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.projects.models import Milestone
from twohats.surveys.catalogue import install
from twohats.surveys.models import Invitation, Question, SurveyOptOut, SurveyTemplate
from twohats.surveys.services import invitation_create
from twohats.surveys.tests.factories import (
    csat_response,
    nps_response,
    ratings_response,
    relationship_response,
)
from twohats.test import Cast, ContactFactory, ProjectFactory

# One test client for the module: each new one loads the middleware again, which is slow.
_http = HttpClient()

# Seven scores: 3 promoters (10, 9, 10), 2 passives (8, 7), 2 detractors (6, 3).
SCORES = [10, 9, 8, 7, 6, 3, 10]


@pytest.fixture(autouse=True)
def catalogue(db: None) -> None:
    """The ready-made templates come with a migration; a transactional test run earlier in the
    same process flushes them, so put them back."""
    install(SurveyTemplate, Question)


@pytest.fixture
def contact(cast: Cast) -> Contact:
    cast.contact.email = "marie@aerolux.example"
    cast.contact.save(update_fields=["email"])
    return cast.contact


def signed_in(user: User) -> HttpClient:
    """The shared client, acting as `user` through a personal token (no session to set up)."""
    _, raw = api_token_create(user=user, name="API tests")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def post(user: User, url: str, body: dict[str, Any] | None = None) -> Any:
    return signed_in(user).post(url, body or {}, content_type="application/json")


def invite(user: User, cast: Cast, **changes: Any) -> Any:
    body = {"contacts": [cast.contact.pk], "template": "nps"} | changes
    return post(user, f"/api/v1/projects/{cast.project.pk}/invitations", body)


def invitation_make(cast: Cast, contact: Contact | None = None) -> tuple[Invitation, str]:
    return invitation_create(
        project=cast.project,
        contact=contact or cast.contact,
        template_family="nps",
        actor=cast.owner,
        now=timezone.now(),
    )


def emailed_tokens() -> set[str]:
    """The tokens in the links of the emails sent (the survey and its unsubscribe link)."""
    return {
        token
        for message in mail.outbox
        for token in re.findall(r"/s/([A-Za-z0-9_-]{20,})", str(message.body))
    }


# ---------------------------------------------------------------------------------------------
# Templates


def test_it_lists_the_current_templates_with_their_questions(cast: Cast) -> None:
    response = signed_in(cast.teammate).get("/api/v1/surveys/templates")
    assert response.status_code == 200
    templates = {t["family"]: t for t in response.json()["results"]}
    assert set(templates) == set(SurveyTemplate.objects.current().values_list("family", flat=True))
    nps = templates["nps"]
    assert nps["kind"] == "nps" and nps["version"] == 1
    first, reason = nps["questions"]
    assert (first["measures"], first["scale_min"], first["scale_max"]) == ("recommend", 0, 10)
    assert "[firm]" not in first["text"]
    assert (reason["measures"], reason["scale_min"], reason["required"]) == ("reason", None, False)
    positions = [q["position"] for t in templates.values() for q in t["questions"]]
    assert positions  # in order within each template:
    for t in templates.values():
        assert [q["position"] for q in t["questions"]] == sorted(
            q["position"] for q in t["questions"]
        )


def test_it_lists_templates_for_everyone_signed_in(cast: Cast) -> None:
    for who, user in cast.everyone().items():
        assert signed_in(user).get("/api/v1/surveys/templates").status_code == 200, who
    _http.defaults.pop("HTTP_AUTHORIZATION")
    assert _http.get("/api/v1/surveys/templates").status_code == 401


def test_it_lists_templates_in_a_constant_number_of_queries(cast: Cast) -> None:
    def queries(page_size: int) -> tuple[int, int]:
        client = signed_in(cast.owner)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/surveys/templates?page_size={page_size}")
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    one, rows = queries(1)
    assert rows == 1
    many, rows = queries(50)
    assert rows == SurveyTemplate.objects.current().count() > 1
    assert many == one


# ---------------------------------------------------------------------------------------------
# Invitations


def test_it_invites_and_emails_after_the_commit(
    cast: Cast, contact: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = invite(cast.owner, cast)
    assert response.status_code == 201, response.json()
    assert len(callbacks) == 1
    [data] = response.json()
    invitation = Invitation.objects.get(pk=data["id"])
    assert (invitation.contact, invitation.created_by) == (contact, cast.owner)
    assert data["template_family"] == "nps" and data["contact_name"] == "Marie Curie"
    assert data["trigger"] == "now" and data["milestone"] is None
    assert [m.to for m in mail.outbox] == [["marie@aerolux.example"]]
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    listed = signed_in(cast.teammate).get(f"/api/v1/projects/{cast.project.pk}/invitations")
    assert [(row["id"], row["status"]) for row in listed.json()["results"]] == [
        (invitation.pk, "sent")
    ]


def test_it_invites_about_a_milestone(cast: Cast, contact: Contact) -> None:
    milestone = Milestone.objects.create(
        project=cast.project, name="Design review", planned_date=dt.date(2026, 6, 1)
    )
    response = invite(cast.owner, cast, milestone=milestone.pk, template="csat")
    assert response.status_code == 201, response.json()
    [data] = response.json()
    assert (data["milestone"], data["trigger"]) == (milestone.pk, "milestone")


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"contacts": []}, "contacts"),
        ({"contacts": [999999]}, "contacts"),
        ({"contacts": [2**70]}, "contacts"),
        ({"template": "gossip"}, "template"),
        ({"template": ""}, "template"),
        ({"milestone": 999999}, "milestone"),
        ({"token": "abc"}, "token"),
    ],
)
def test_it_refuses_invalid_values_naming_the_field(
    cast: Cast, contact: Contact, changes: dict[str, Any], field: str
) -> None:
    response = invite(cast.owner, cast, **changes)
    assert response.status_code == 422, response.json()
    assert [error["loc"][:2] for error in response.json()["detail"]] == [["body", field]]
    assert not Invitation.objects.exists()


def test_it_refuses_contacts_and_milestones_of_elsewhere(cast: Cast, contact: Contact) -> None:
    stranger = ContactFactory.create(client=cast.other_client, email="z@zed.example")
    elsewhere = ProjectFactory.create(client=cast.other_client, manager=cast.outsider)
    milestone = Milestone.objects.create(
        project=elsewhere, name="Go-live", planned_date=dt.date(2026, 6, 1)
    )
    cases: list[tuple[dict[str, Any], str]] = [
        ({"contacts": [contact.pk, stranger.pk]}, "contacts"),
        ({"milestone": milestone.pk}, "milestone"),
    ]
    for user in [cast.owner, cast.admin]:  # invisible to the owner, visible to the admin
        for changes, field in cases:
            response = invite(user, cast, **changes)
            assert response.status_code == 422
            assert response.json()["detail"][0]["loc"] == ["body", field]
    assert not Invitation.objects.exists()


def test_it_refuses_all_when_one_contact_may_not_be_invited(
    cast: Cast, contact: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    opted = ContactFactory.create(client=cast.client, email="o@aerolux.example")
    SurveyOptOut.objects.create(contact=opted)
    recent = ContactFactory.create(client=cast.client, email="r@aerolux.example")
    invitation_make(cast, recent)
    no_email = ContactFactory.create(client=cast.client, email="")
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(cast.owner, cast, contacts=[contact.pk, opted.pk, recent.pk, no_email.pk])
    assert response.status_code == 422
    messages = [error["msg"] for error in response.json()["detail"]]
    assert {tuple(error["loc"]) for error in response.json()["detail"]} == {("body", "contacts")}
    assert len(messages) == 3
    assert any("opted out" in m for m in messages)
    assert any("90 days" in m for m in messages)
    assert any("no email" in m for m in messages)
    assert list(Invitation.objects.values_list("contact", flat=True)) == [recent.pk]
    assert mail.outbox == []


def test_it_revokes_an_invitation(cast: Cast, contact: Contact) -> None:
    invitation, _ = invitation_make(cast)
    response = post(cast.owner, f"/api/v1/invitations/{invitation.pk}/revoke")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "revoked"
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    again = post(cast.owner, f"/api/v1/invitations/{invitation.pk}/revoke")
    assert again.status_code == 200 and again.json()["revoked_at"] == response.json()["revoked_at"]


def test_it_refuses_to_revoke_an_answered_invitation(cast: Cast, contact: Contact) -> None:
    invitation = nps_response(cast.project, contact, 9).invitation
    response = post(cast.owner, f"/api/v1/invitations/{invitation.pk}/revoke")
    assert response.status_code == 422
    assert "answered" in response.json()["detail"][0]["msg"]
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_it_never_shows_a_token_or_its_hash(
    cast: Cast, contact: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = invite(cast.owner, cast)
    [token] = emailed_tokens()
    invitation = Invitation.objects.get()
    outputs = [
        created,
        signed_in(cast.owner).get(f"/api/v1/projects/{cast.project.pk}/invitations"),
        signed_in(cast.owner).get("/api/v1/surveys/templates"),
        signed_in(cast.owner).get(f"/api/v1/clients/{cast.client.pk}/survey-results"),
        post(cast.owner, f"/api/v1/invitations/{invitation.pk}/revoke"),
        signed_in(cast.owner).get("/api/v1/openapi.json"),
    ]
    for response in outputs:
        assert response.status_code in (200, 201)
        body = response.content.decode()
        assert token not in body and invitation.token_hash not in body
        assert "token_hash" not in body


# ---------------------------------------------------------------------------------------------
# Results


def test_it_gives_the_clients_results_as_on_the_voice_card(cast: Cast) -> None:
    now = timezone.now()
    people = [ContactFactory.create(client=cast.client) for _ in SCORES]
    for i, (person, score) in enumerate(zip(people, SCORES, strict=True)):
        at = now - dt.timedelta(days=i + 1)
        nps_response(cast.project, person, score, reason=f"<b>Reason {i}</b>", at=at)
        csat_response(cast.project, person, 5 if i < 4 else 2, at=at)
        relationship_response(cast.project, person, 6, at=at)
        ratings_response(cast.project, person, pm=9, firm=7, at=at)
    response = signed_in(cast.teammate).get(f"/api/v1/clients/{cast.client.pk}/survey-results")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["client"] == cast.client.pk and data["min_n"] == 5
    nps = data["nps"]
    assert (nps["n"], nps["promoters"], nps["passives"], nps["detractors"]) == (7, 3, 2, 2)
    assert nps["score"] == 14.3 and nps["enough"] is True
    assert nps["standard_error"] == round(100 * ((5 / 7 - (1 / 7) ** 2) / 7) ** 0.5, 1)
    assert data["nps_previous"]["n"] == 0 and data["nps_trend"] is None
    assert data["csat"] == {"n": 7, "satisfied": 4, "share": round(4 / 7, 4), "enough": True}
    assert data["trust"]["n"] == 7 and data["trust"]["enough"] is True
    assert data["gap"] == 2.0
    assert data["constructs"]["pm_rating"]["mean"] == 9.0
    assert [v["text"] for v in data["verbatims"]] == [f"<b>Reason {i}</b>" for i in range(5)]
    assert data["versions"]


def test_it_withholds_scores_below_the_minimum_n(cast: Cast) -> None:
    nps_response(cast.project, cast.contact, 10)
    data = signed_in(cast.owner).get(f"/api/v1/clients/{cast.client.pk}/survey-results").json()
    assert data["nps"]["n"] == 1 and data["nps"]["score"] is None
    assert data["nps"]["enough"] is False and data["gap"] is None


def test_it_gives_results_in_a_constant_number_of_queries(cast: Cast) -> None:
    url = f"/api/v1/clients/{cast.client.pk}/survey-results"

    def queries() -> int:
        client = signed_in(cast.owner)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    nps_response(cast.project, cast.contact, 9, reason="Good")
    one = queries()
    for score in SCORES * 7:
        nps_response(cast.project, ContactFactory.create(client=cast.client), score, reason="Ok")
    assert queries() == one


# ---------------------------------------------------------------------------------------------
# Access

READ = {
    "owner": 200,
    "teammate": 200,
    "outsider": 404,
    "director": 200,
    "other_director": 404,
    "executive": 200,
    "admin": 200,
}
WRITE = READ | {"teammate": 403, "executive": 403}


def test_it_lists_invitations_only_for_those_who_may_see_the_project(
    cast: Cast, contact: Contact
) -> None:
    invitation, _ = invitation_make(cast)
    for who, user in cast.everyone().items():
        response = signed_in(user).get(f"/api/v1/projects/{cast.project.pk}/invitations")
        assert response.status_code == READ[who], who
        if READ[who] == 200:
            assert [row["id"] for row in response.json()["results"]] == [invitation.pk], who


def test_it_invites_only_for_those_who_may_edit_the_project(cast: Cast) -> None:
    for who, user in cast.everyone().items():
        person = ContactFactory.create(client=cast.client, email=f"{who}@aerolux.example")
        response = invite(user, cast, contacts=[person.pk])
        assert response.status_code == (201 if WRITE[who] == 200 else WRITE[who]), who
        assert Invitation.objects.filter(contact=person).exists() is (WRITE[who] == 200), who


def test_it_revokes_only_for_those_who_may_edit_the_project(cast: Cast) -> None:
    for who, user in cast.everyone().items():
        person = ContactFactory.create(client=cast.client, email=f"{who}@aerolux.example")
        invitation, _ = invitation_make(cast, person)
        response = post(user, f"/api/v1/invitations/{invitation.pk}/revoke")
        assert response.status_code == WRITE[who], who
        invitation.refresh_from_db()
        assert (invitation.revoked_at is not None) is (WRITE[who] == 200), who


def test_it_gives_results_only_to_those_who_may_see_the_client(cast: Cast) -> None:
    nps_response(cast.project, cast.contact, 3, reason="Late again")
    for who, user in cast.everyone().items():
        response = signed_in(user).get(f"/api/v1/clients/{cast.client.pk}/survey-results")
        assert response.status_code == READ[who], who
        assert ("Late again" in response.content.decode()) is (READ[who] == 200), who


def test_it_answers_404_for_an_id_that_does_not_exist(cast: Cast) -> None:
    client = signed_in(cast.admin)
    assert client.get("/api/v1/projects/999999/invitations").status_code == 404
    body = {"contacts": [cast.contact.pk], "template": "nps"}
    assert post(cast.admin, "/api/v1/projects/999999/invitations", body).status_code == 404
    assert post(cast.admin, "/api/v1/invitations/999999/revoke").status_code == 404
    assert client.get("/api/v1/clients/999999/survey-results").status_code == 404


def list_queries(user: User, cast: Cast) -> tuple[int, int]:
    client = signed_in(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/projects/{cast.project.pk}/invitations")
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


def test_it_lists_1_and_50_invitations_with_the_same_number_of_queries(
    cast: Cast, contact: Contact
) -> None:
    invitation_make(cast)
    one, rows = list_queries(cast.owner, cast)
    assert rows == 1
    for n in range(49):
        person = ContactFactory.create(client=cast.client, email=f"c{n}@aerolux.example")
        invitation_make(cast, person)
    fifty, rows = list_queries(cast.owner, cast)
    assert rows == 50
    assert fifty == one


def test_it_gives_the_half_year_trends_the_voice_card_shows(cast: Cast) -> None:
    """Earlier half-year: 6 promoters and 2 detractors of 10 (+40); later: 2 promoters and 4
    detractors of 8 (−25): down 65 points, as the card and the health model have it."""
    now = timezone.now()
    earlier = [10] * 6 + [7, 8] + [3, 4]
    later = [9, 10, 7, 8, 1, 2, 5, 6]  # 2 promoters, 2 passives, 4 detractors
    for days, scores in ((250, earlier), (30, later)):
        for i, score in enumerate(scores):
            person = ContactFactory.create(client=cast.client)
            nps_response(cast.project, person, score, at=now - dt.timedelta(days=days + i))
    data = signed_in(cast.owner).get(f"/api/v1/clients/{cast.client.pk}/survey-results").json()
    nps = data["trends"]["nps"]
    assert (nps["earlier"], nps["earlier_n"], nps["later"], nps["later_n"]) == (40.0, 10, -25.0, 8)
    assert nps["change"] == -65
    assert nps["words"].startswith("down 65 points on the previous half-year")
    assert data["trends"]["csat"]["change"] is None
