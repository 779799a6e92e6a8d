from __future__ import annotations

from django.test import Client as Browser
from django.urls import reverse

from twohats.growth.models import Opportunity
from twohats.projects.models import Project
from twohats.test import Cast


def project_data(cast: Cast, **overrides: object) -> dict[str, object]:
    return {
        "client": cast.client.pk,
        "name": "Ground station upgrade",
        "code": "GS-12",
        "manager": cast.owner.pk,
        "team": [cast.teammate.pk],
        "status": "active",
        "contract_type": "fixed_price",
        "budget": "480000",
        "start_date": "2026-12-01",
        "end_date": "2027-06-30",
        "reporting_period": "monthly",
    } | overrides


def test_it_creates_a_project_with_its_team(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("projects:create") + f"?client={cast.client.pk}", project_data(cast)
    )
    project = Project.objects.get(code="GS-12")
    assert response["Location"] == project.get_absolute_url()
    assert list(project.team.all()) == [cast.teammate]
    page = client.get(project.get_absolute_url()).content.decode()
    assert "Ground station upgrade" in page and str(cast.teammate) in page


def test_it_refuses_dates_out_of_order_and_negative_budgets(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    response = client.post(
        reverse("projects:create"),
        project_data(cast, start_date="2027-01-01", end_date="2026-01-01", budget="-5"),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "must not be before the start date" in body
    assert "greater than or equal to 0" in body
    assert not Project.objects.filter(code="GS-12").exists()


def test_it_keeps_a_teammate_from_adding_projects(client: Browser, cast: Cast) -> None:
    client.force_login(cast.teammate)
    response = client.post(reverse("projects:create"), project_data(cast))
    assert response.status_code == 403
    assert not Project.objects.filter(code="GS-12").exists()


def test_it_changes_the_team_and_records_it(client: Browser, cast: Cast) -> None:
    from auditlog.models import LogEntry

    client.force_login(cast.owner)
    response = client.post(
        reverse("projects:edit", args=[cast.project.pk]),
        project_data(cast, name="Cabin software", team=[], version=cast.project.version),
    )
    assert response.status_code == 302
    assert not cast.project.team.exists()
    changes = [e.changes_dict for e in LogEntry.objects.get_for_object(cast.project)]
    assert any("team" in change for change in changes)


def test_it_records_an_opportunity_and_checks_its_stage(client: Browser, cast: Cast) -> None:
    client.force_login(cast.teammate)
    data = {
        "client": cast.client.pk,
        "title": "Phase 2",
        "identified_by": cast.teammate.pk,
        "identified_on": "2026-11-02",
        "value": "90000",
        "stage": "won",
        "probability": 40,
    }
    assert client.post(reverse("growth:create"), data).status_code == 403
    client.force_login(cast.owner)
    refused = client.post(reverse("growth:create"), data)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Give the date the opportunity was won or lost." in body
    assert "A won opportunity has a probability of 100" in body
    ok = client.post(
        reverse("growth:create"), data | {"probability": 100, "closed_on": "2026-11-20"}
    )
    assert ok.status_code == 302
    won = Opportunity.objects.get(title="Phase 2")
    assert won.identified_by == cast.teammate and won.client == cast.client


def test_it_searches_only_what_the_user_may_see(client: Browser, cast: Cast) -> None:
    client.force_login(cast.teammate)
    page = client.get(reverse("search"), {"q": "cur"}).content.decode()
    assert "Marie Curie" in page
    elsewhere = client.get(reverse("search"), {"q": "banque"}).content.decode()
    assert "Banque Zed" not in elsewhere
    client.force_login(cast.outsider)
    assert "Banque Zed" in client.get(reverse("search"), {"q": "banque"}).content.decode()
    assert "Marie Curie" not in client.get(reverse("search"), {"q": "cur"}).content.decode()
