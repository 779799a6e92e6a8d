"""The staffing pages and endpoints: access for the whole cast, accepting a plan's row, and
query counts that do not grow with the number of PMs and needs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.test import Client as Browser
from django.urls import reverse

from twohats.matching.models import StaffingNeed
from twohats.matching.staffing_services import staffing_conflict_record, staffing_need_open
from twohats.projects.models import Project
from twohats.test import Cast, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

# The ranking page for the director: 404 where the project is hidden, 403 for PMs.
PROJECT_PAGE = {
    "owner": 403,
    "teammate": 403,
    "outsider": 404,
    "director": 200,
    "other_director": 404,
    "executive": 200,
    "admin": 200,
}
PLAN_PAGE = {
    "owner": 403,
    "teammate": 403,
    "outsider": 403,
    "director": 200,
    "other_director": 200,
    "executive": 200,
    "admin": 200,
}


def need(cast: Cast, project: Project | None = None) -> StaffingNeed:
    return staffing_need_open(
        project=project or cast.project, by=cast.director, hours=10, practice=cast.practice
    )


def add_pms(cast: Cast, n: int) -> None:
    for _ in range(n):
        UserFactory.create(practice=cast.practice, capacity_hours=Decimal(40))


@pytest.mark.parametrize("who", PROJECT_PAGE)
def test_project_staffing_page_access(client: Browser, cast: Cast, who: str) -> None:
    need(cast)
    client.force_login(cast.everyone()[who])
    response = client.get(reverse("matching_staffing:project", args=[cast.project.pk]))
    assert response.status_code == PROJECT_PAGE[who]
    if response.status_code == 200:
        text = response.content.decode()
        assert "Candidates" in text
        # Only those who may assign get the buttons; executives read.
        assert ("Assign</button>" in text) == (who in ("director", "admin"))


@pytest.mark.parametrize("who", PLAN_PAGE)
def test_plan_page_access(client: Browser, cast: Cast, who: str) -> None:
    need(cast)
    client.force_login(cast.everyone()[who])
    response = client.get(reverse("matching_staffing:plan"))
    assert response.status_code == PLAN_PAGE[who]
    if response.status_code == 200:
        text = response.content.decode()
        sees_need = who in ("director", "executive", "admin")
        assert ("Cabin software" in text) == sees_need
        assert ("Accept</button>" in text) == (who in ("director", "admin"))


def test_accept_assigns_and_writes_history(client: Browser, cast: Cast) -> None:
    add_pms(cast, 2)
    opened = need(cast)
    # The owner leaves the project: a conflict keeps the optimiser from choosing them again.
    staffing_conflict_record(user=cast.owner, client=cast.client, by=cast.admin, reason="leaving")
    client.force_login(cast.director)
    page = client.get(reverse("matching_staffing:plan")).content.decode()
    assert "Total fit" in page
    from twohats.matching.staffing import active_policy, plan

    chosen = plan([StaffingNeed.objects.get(pk=opened.pk)], active_policy()).rows[0].optimal
    assert chosen is not None
    response = client.post(
        reverse("matching_staffing:assign", args=[opened.pk]),
        {"pm": chosen.pm.pk, "back": "plan"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("matching_staffing:plan")
    project = Project.objects.get(pk=cast.project.pk)
    assert project.manager_id == chosen.pm.pk
    assert LogEntry.objects.get_for_object(project).filter(actor=cast.director).exists()
    opened.refresh_from_db()
    assert opened.filled_at is not None


def test_accept_over_htmx_returns_the_row(client: Browser, cast: Cast) -> None:
    add_pms(cast, 1)
    opened = need(cast)
    pm = cast.practice.members.filter(role="pm").exclude(pk__in=[cast.owner.pk]).first()
    assert pm is not None
    client.force_login(cast.admin)
    response = client.post(
        reverse("matching_staffing:assign", args=[opened.pk]),
        {"pm": pm.pk, "back": "plan"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "now runs" in response.content.decode()


def test_accept_refuses_an_infeasible_pm(client: Browser, cast: Cast) -> None:
    opened = need(cast)
    client.force_login(cast.director)
    response = client.post(
        reverse("matching_staffing:assign", args=[opened.pk]),
        {"pm": cast.outsider.pk},
        follow=True,
    )
    assert "other practice" in response.content.decode()
    assert Project.objects.get(pk=cast.project.pk).manager == cast.owner


def test_assign_access(client: Browser, cast: Cast) -> None:
    opened = need(cast)
    url = reverse("matching_staffing:assign", args=[opened.pk])
    for who, status in (("outsider", 404), ("teammate", 403), ("executive", 403)):
        client.force_login(cast.everyone()[who])
        assert client.post(url, {"pm": cast.teammate.pk}).status_code == status


def test_opening_a_need_from_the_page(client: Browser, cast: Cast) -> None:
    client.force_login(cast.director)
    url = reverse("matching_staffing:need_open", args=[cast.project.pk])
    response = client.post(url, {"hours_per_week": "12", "practice": cast.practice.pk})
    assert response.status_code == 302
    assert StaffingNeed.objects.get(project=cast.project).hours_per_week == Decimal("12.0")
    client.force_login(cast.executive)
    assert client.post(url, {"hours_per_week": "12"}).status_code == 403


def _grow(cast: Cast, pms: int, needs: int) -> None:
    add_pms(cast, pms)
    for _ in range(needs):
        need(cast, ProjectFactory.create(client=cast.client, manager=cast.owner))


@pytest.mark.parametrize("size", [(2, 1), (12, 5)])
def test_project_page_queries_do_not_grow(
    client: Browser, cast: Cast, size: tuple[int, int], django_assert_max_num_queries: Any
) -> None:
    _grow(cast, *size)
    client.force_login(cast.director)
    url = reverse("matching_staffing:project", args=[cast.project.pk])
    # 57 on SQLite: ~14 for the ranking, ~8 for each of the five breakdowns, the rest the page.
    with django_assert_max_num_queries(57):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("size", [(2, 1), (12, 6)])
def test_plan_page_queries_do_not_grow(
    client: Browser, cast: Cast, size: tuple[int, int], django_assert_max_num_queries: Any
) -> None:
    _grow(cast, *size)
    client.force_login(cast.director)
    # 22 on SQLite with the session's first request (one for the practice filter's choices);
    # the plan itself is ~12.
    with django_assert_max_num_queries(22):
        assert client.get(reverse("matching_staffing:plan")).status_code == 200


# ─── The API ───


def test_api_candidates_access_and_shape(client: Browser, cast: Cast) -> None:
    need(cast)
    url = f"/api/v1/matching/projects/{cast.project.pk}/candidates"
    for who, status in PROJECT_PAGE.items():
        client.force_login(cast.everyone()[who])
        assert client.get(url).status_code == status, who
    client.force_login(cast.director)
    body = client.get(url).json()
    assert body["need"] is not None and body["hours"] == 10.0
    assert all("score" in c for c in body["candidates"])


def test_api_fit_of_a_pair(client: Browser, cast: Cast) -> None:
    url = f"/api/v1/matching/fit?pm={cast.owner.pk}&contact={cast.contact.pk}"
    client.force_login(cast.owner)  # their own fit
    body = client.get(url).json()
    assert 0 <= body["score"] <= 100 and body["parts"]
    assert any("profile" in m for m in body["missing"])
    client.force_login(cast.teammate)  # someone else's fit
    assert client.get(url).status_code == 403
    client.force_login(cast.outsider)  # a contact they may not see
    assert client.get(url).status_code == 404


def test_api_plan_and_assign(client: Browser, cast: Cast) -> None:
    add_pms(cast, 2)
    opened = need(cast)
    client.force_login(cast.owner)
    assert client.get("/api/v1/matching/staffing/plan").status_code == 403
    client.force_login(cast.director)
    body = client.get("/api/v1/matching/staffing/plan").json()
    row = body["rows"][0]
    assert row["need"] == opened.pk and row["optimal"] is not None
    assert set(body["totals"]) == {"optimal", "greedy", "current"}
    assert body["totals"]["greedy"] <= body["totals"]["optimal"] + 1e-6
    url = f"/api/v1/matching/staffing/needs/{opened.pk}/assign"
    refused = client.post(url, {"pm": cast.outsider.pk}, content_type="application/json")
    assert refused.status_code == 422
    assert "other practice" in str(refused.json())
    done = client.post(url, {"pm": row["optimal"]["pm"]}, content_type="application/json")
    assert done.status_code == 200 and done.json()["assigned"] == row["optimal"]["pm"]
    client.force_login(cast.other_director)
    again = need(cast)
    assert (
        client.post(
            f"/api/v1/matching/staffing/needs/{again.pk}/assign",
            {"pm": row["optimal"]["pm"]},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_the_plan_narrows_to_one_practice(client: Browser, cast: Cast) -> None:
    """An admin plans one practice at a time if they like; a practice they have no need in is
    refused with a message, and every need is shown instead."""
    add_pms(cast, 2)
    need(cast)
    elsewhere = ProjectFactory.create(client=cast.client, manager=cast.owner, name="Ground rig")
    staffing_need_open(project=elsewhere, by=cast.admin, hours=10, practice=None)
    client.force_login(cast.admin)
    url = reverse("matching_staffing:plan")
    both = client.get(url).content.decode()
    assert "Cabin software" in both and "Ground rig" in both
    one = client.get(url, {"practice": cast.practice.pk}).content.decode()
    assert "Cabin software" in one and "Ground rig" not in one
    none = client.get(url, {"practice": "none"}).content.decode()
    assert "Cabin software" not in none and "Ground rig" in none
    wrong = client.get(url, {"practice": "999999"})
    assert wrong.status_code == 400
    text = wrong.content.decode()
    assert "No open need of yours names that practice" in text
    assert "Cabin software" in text and "Ground rig" in text
