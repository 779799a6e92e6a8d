"""Profiles over the API: the pages' access rules (404 for what may not be seen, 403 for what
may be seen but not changed), answers validated with clear 422s and nothing written on error,
erasure with its record."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from twohats.matching.models import Erasure, PersonalityProfile, ProfileAnswer
from twohats.matching.services import profile_record_contact, profile_record_self
from twohats.matching.tests.test_instruments import IPIP_SHEET, MINI_SHEET
from twohats.people.models import User
from twohats.people.services import api_token_create
from twohats.test import Cast

_http = HttpClient()

ME = "/api/v1/matching/profiles/me"


def as_user(user: User) -> HttpClient:
    _, raw = api_token_create(user=user, name="API tests")
    _http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return _http


def post(user: User, url: str, body: dict[str, Any]) -> Any:
    return as_user(user).post(url, body, content_type="application/json")


def contact_url(cast: Cast) -> str:
    return f"/api/v1/matching/contacts/{cast.contact.pk}/profile"


def person_url(user: User) -> str:
    return f"/api/v1/matching/people/{user.pk}/profile"


def sheet(answers: dict[int, Any]) -> dict[str, Any]:
    return {str(n): v for n, v in answers.items()}


def test_it_records_and_reads_my_profile(cast: Cast) -> None:
    assert as_user(cast.owner).get(ME).json() == {"profile": None, "working_style": []}
    response = post(cast.owner, ME, {"answers": sheet(IPIP_SHEET), "consent": True})
    assert response.status_code == 201, response.json()
    profile = response.json()["profile"]
    # The hand-scored sheet of test_instruments.
    assert (profile["extraversion"], profile["agreeableness"], profile["intellect"]) == (
        62.5,
        82.5,
        77.5,
    )
    assert profile["source"] == "self" and profile["instrument"] == "ipip50"
    assert profile["consent_at"] is not None and "self-report" in profile["provenance"]
    assert "answers" not in profile
    assert as_user(cast.owner).get(ME).json()["profile"]["id"] == profile["id"]


def _refused(response: Any, field: str) -> str:
    assert response.status_code == 422, response.json()
    errors = response.json()["detail"]
    assert any(e["loc"][:2] == ["body", field] for e in errors), errors
    return " ".join(e["msg"] for e in errors)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"answers": sheet(IPIP_SHEET), "consent": False}, "consent", "only with your consent"),
        ({"answers": sheet(IPIP_SHEET)}, "consent", "required"),
        (
            {"answers": sheet({n: v for n, v in IPIP_SHEET.items() if n != 9}), "consent": True},
            "answers",
            "1 of 50 statements are unanswered (number 9)",
        ),
        ({"answers": sheet(IPIP_SHEET | {4: 6}), "consent": True}, "answers", "less than or equal"),
        ({"answers": sheet(IPIP_SHEET | {4: 0}), "consent": True}, "answers", "greater than"),
        ({"answers": sheet(IPIP_SHEET | {4: "3"}), "consent": True}, "answers", "integer"),
        ({"answers": sheet(IPIP_SHEET | {51: 3}), "consent": True}, "answers", "less than"),
        ({"answers": sheet(IPIP_SHEET), "consent": True, "extra": 1}, "extra", "not permitted"),
    ],
)
def test_it_refuses_bad_answers_and_writes_nothing(
    cast: Cast, body: dict[str, Any], field: str, words: str
) -> None:
    assert words in _refused(post(cast.owner, ME, body), field)
    assert not PersonalityProfile.objects.exists() and not ProfileAnswer.objects.exists()


def test_a_pm_rates_a_contact_over_the_api(cast: Cast) -> None:
    assert post(cast.teammate, contact_url(cast), {"answers": sheet(MINI_SHEET)}).status_code == 403
    assert post(cast.outsider, contact_url(cast), {"answers": sheet(MINI_SHEET)}).status_code == 404
    incomplete = sheet({n: v for n, v in MINI_SHEET.items() if n > 2})
    message = _refused(post(cast.owner, contact_url(cast), {"answers": incomplete}), "answers")
    assert "2 of 20 statements are unanswered (number 1, 2)" in message
    extra = sheet(MINI_SHEET | {21: 3})
    assert "no statement number 21" in _refused(
        post(cast.owner, contact_url(cast), {"answers": extra}), "answers"
    )
    assert not PersonalityProfile.objects.exists()
    response = post(cast.owner, contact_url(cast), {"answers": sheet(MINI_SHEET)})
    assert response.status_code == 201
    profile = response.json()["profile"]
    assert (profile["source"], profile["rated_by"], profile["agreeableness"]) == (
        "observer",
        cast.owner.pk,
        81.25,
    )
    assert "a judgement, not the person's own answers" in profile["provenance"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("teammate", 200), ("executive", 200), ("outsider", 404)],
)
def test_a_contact_profile_is_read_by_staff_who_see_the_client(
    cast: Cast, who: str, status: int
) -> None:
    profile_record_contact(contact=cast.contact, by=cast.owner, answers=MINI_SHEET)
    response = as_user(cast.everyone()[who]).get(contact_url(cast))
    assert response.status_code == status
    if status == 200:
        assert response.json()["profile"]["extraversion"] == 87.5


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("director", 200),
        ("admin", 200),
        ("other_director", 404),
        ("executive", 404),
        ("teammate", 404),
        ("outsider", 404),
    ],
)
def test_a_staff_profile_is_read_by_the_person_their_director_and_admins(
    cast: Cast, who: str, status: int
) -> None:
    profile_record_self(user=cast.owner, answers=IPIP_SHEET, consent=True)
    response = as_user(cast.everyone()[who]).get(person_url(cast.owner))
    assert response.status_code == status
    if status == 200:
        assert response.json()["profile"]["conscientiousness"] == 80.0


def test_erasing_over_the_api(cast: Cast) -> None:
    profile_record_self(user=cast.owner, answers=IPIP_SHEET, consent=True)
    profile_record_self(user=cast.teammate, answers=IPIP_SHEET, consent=True)
    profile_record_contact(contact=cast.contact, by=cast.owner, answers=MINI_SHEET)
    # My own.
    assert as_user(cast.teammate).delete(ME).status_code == 204
    assert not PersonalityProfile.objects.filter(user=cast.teammate).exists()
    # A staff member's: admins only; a director sees it but may not erase it.
    assert as_user(cast.director).delete(person_url(cast.owner)).status_code == 403
    assert as_user(cast.executive).delete(person_url(cast.owner)).status_code == 404
    assert as_user(cast.admin).delete(person_url(cast.owner)).status_code == 204
    # A contact's: those who may rate them.
    assert as_user(cast.teammate).delete(contact_url(cast)).status_code == 403
    assert as_user(cast.outsider).delete(contact_url(cast)).status_code == 404
    assert as_user(cast.owner).delete(contact_url(cast)).status_code == 204
    assert not PersonalityProfile.objects.exists() and not ProfileAnswer.objects.exists()
    subjects = sorted(Erasure.objects.values_list("subject", "erased_by", "answers"))
    assert subjects == sorted(
        [
            (f"user:{cast.teammate.pk}", cast.teammate.pk, 50),
            (f"user:{cast.owner.pk}", cast.admin.pk, 50),
            (f"contact:{cast.contact.pk}", cast.owner.pk, 20),
        ]
    )


def test_the_schema_documents_the_endpoints(cast: Cast) -> None:
    paths = as_user(cast.owner).get("/api/v1/openapi.json").json()["paths"]
    assert {"get", "post", "delete"} <= set(paths["/api/v1/matching/profiles/me"])
    assert {"get", "post", "delete"} <= set(paths["/api/v1/matching/contacts/{contact_id}/profile"])
    assert {"get", "delete"} <= set(paths["/api/v1/matching/people/{person_id}/profile"])
