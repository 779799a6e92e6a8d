"""Staffing conflicts from the project's staffing page: who records and removes them, the
errors, the duplicate refused, and the ranking leaving the PM out with the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.urls import reverse

from twohats.matching.models import StaffingConflict
from twohats.matching.staffing import active_policy, rank_candidates
from twohats.matching.staffing_services import staffing_conflict_record
from twohats.test import Cast, UserFactory

pytestmark = pytest.mark.django_db

# Recording (and removing) a conflict: 404 where the project is hidden, 403 for PMs and
# executives, allowed for the director who sees it and admins.
WRITE = {
    "owner": 403,
    "teammate": 403,
    "outsider": 404,
    "director": 302,
    "other_director": 404,
    "executive": 403,
    "admin": 302,
}


def page(pk: int) -> str:
    return reverse("matching_staffing:project", args=[pk])


def record_url(cast: Cast) -> str:
    return reverse("matching_staffing:conflict_record", args=[cast.project.pk])


def remove_url(cast: Cast, conflict: StaffingConflict) -> str:
    return reverse("matching_staffing:conflict_remove", args=[cast.project.pk, conflict.pk])


@pytest.mark.parametrize("who", WRITE)
def test_recording_a_conflict_access(client: Browser, cast: Cast, who: str) -> None:
    client.force_login(cast.everyone()[who])
    response = client.post(record_url(cast), {"pm": cast.teammate.pk, "reason": "Ex-employee"})
    assert response.status_code == WRITE[who]
    recorded = StaffingConflict.objects.filter(user=cast.teammate, client=cast.client)
    assert recorded.exists() == (WRITE[who] == 302)
    if WRITE[who] == 302:
        assert response["Location"] == page(cast.project.pk)
        conflict = recorded.get()
        assert conflict.recorded_by == cast.everyone()[who]
        assert conflict.reason == "Ex-employee"


@pytest.mark.parametrize("who", WRITE)
def test_removing_a_conflict_access(client: Browser, cast: Cast, who: str) -> None:
    conflict = staffing_conflict_record(
        user=cast.teammate, client=cast.client, by=cast.admin, reason="Dispute"
    )
    client.force_login(cast.everyone()[who])
    response = client.post(remove_url(cast, conflict))
    assert response.status_code == WRITE[who]
    assert StaffingConflict.objects.filter(pk=conflict.pk).exists() == (WRITE[who] != 302)


def test_a_get_is_not_allowed(client: Browser, cast: Cast) -> None:
    client.force_login(cast.director)
    assert client.get(record_url(cast)).status_code == 405


def test_the_page_lists_the_clients_conflicts_with_who_and_when(
    client: Browser, cast: Cast
) -> None:
    staffing_conflict_record(
        user=cast.teammate, client=cast.client, by=cast.director, reason="Worked for a rival"
    )
    # Another client's conflict is not shown.
    staffing_conflict_record(
        user=cast.owner, client=cast.other_client, by=cast.admin, reason="Elsewhere only"
    )
    client.force_login(cast.director)
    text = client.get(page(cast.project.pk)).content.decode()
    assert "Worked for a rival" in text and "Elsewhere only" not in text
    assert f"by {cast.director}" in text
    assert "Record the conflict</button>" in text and "Remove<span" in text
    # Executives read the list, without the form or the buttons.
    client.force_login(cast.executive)
    text = client.get(page(cast.project.pk)).content.decode()
    assert "Worked for a rival" in text
    assert "Record the conflict" not in text and "Remove<span" not in text


def test_errors_are_shown_on_the_page_with_what_was_entered(client: Browser, cast: Cast) -> None:
    client.force_login(cast.director)
    response = client.post(record_url(cast), {"pm": "", "reason": "   "})
    assert response.status_code == 400
    text = response.content.decode()
    assert "Choose the PM who must not work for this client." in text
    assert "Say why the PM must not work for this client." in text
    response = client.post(record_url(cast), {"pm": cast.director.pk, "reason": "Not a PM"})
    assert response.status_code == 400
    assert "Choose an active project manager from the list." in response.content.decode()
    assert not StaffingConflict.objects.exists()


def test_a_pair_already_recorded_is_refused_and_kept(client: Browser, cast: Cast) -> None:
    staffing_conflict_record(
        user=cast.teammate, client=cast.client, by=cast.admin, reason="First reason"
    )
    client.force_login(cast.director)
    response = client.post(record_url(cast), {"pm": cast.teammate.pk, "reason": "Second"})
    assert response.status_code == 409
    text = response.content.decode()
    assert "already recorded" in text and "Remove it first" in text
    conflict = StaffingConflict.objects.get()
    assert conflict.reason == "First reason" and conflict.recorded_by == cast.admin


def test_a_conflict_of_another_client_cannot_be_removed_through_this_project(
    client: Browser, cast: Cast
) -> None:
    other = staffing_conflict_record(
        user=cast.owner, client=cast.other_client, by=cast.admin, reason="Elsewhere"
    )
    client.force_login(cast.admin)
    assert client.post(remove_url(cast, other)).status_code == 404
    assert StaffingConflict.objects.filter(pk=other.pk).exists()


def test_the_ranking_then_excludes_the_pm_with_the_reason(client: Browser, cast: Cast) -> None:
    rival = UserFactory.create(
        practice=cast.practice, capacity_hours=Decimal(40), first_name="Rita", last_name="Rival"
    )
    before = rank_candidates(cast.project, active_policy())
    assert rival in [c.pm for c in before.candidates]
    client.force_login(cast.director)
    response = client.post(record_url(cast), {"pm": rival.pk, "reason": "Sues the client"})
    assert response.status_code == 302
    after = rank_candidates(cast.project, active_policy())
    assert rival not in [c.pm for c in after.candidates]
    [excluded] = [c for c in after.excluded if c.pm == rival]
    assert "conflict: Sues the client" in excluded.reasons
    text = client.get(page(cast.project.pk)).content.decode()
    assert "Conflict recorded" in text
    assert "conflict: Sues the client" in text
    # Removed: proposed again.
    conflict = StaffingConflict.objects.get(user=rival)
    assert client.post(remove_url(cast, conflict)).status_code == 302
    again = rank_candidates(cast.project, active_policy())
    assert rival in [c.pm for c in again.candidates]
