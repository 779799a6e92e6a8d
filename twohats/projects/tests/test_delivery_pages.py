"""The project page's delivery hat: the section (S-curve, indices, milestones, change ledger,
report history), its HTMX entry forms, the status CSV, who may do what, and query budgets."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.health.models import HealthPolicy
from twohats.projects import services
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    Decision,
    Milestone,
    Project,
    StatusReport,
)
from twohats.test import Cast, ContactFactory, count_queries, read

# Monday 23 November 2026, mid-afternoon in Paris.
NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.UTC)
HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def frozen() -> Iterator[object]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def month_end(month: int) -> dt.date:
    return services.period_end_of(
        Project(reporting_period="monthly", end_date=dt.date(2026, 12, 18)), dt.date(2026, month, 1)
    )


def report(cast: Cast, month: int, **values: Any) -> StatusReport:
    fields: dict[str, Any] = {
        "project": cast.project,
        "actor": cast.owner,
        "period_end": month_end(month),
        "earned_value": D(18000 * month),
        "actual_cost": D(21000 * month),
        "percent_complete": D(7 * month),
        "rag": "amber",
        "narrative": f"Month {month} went as described.",
    }
    return services.status_report_submit(**(fields | values))


def milestone(cast: Cast, name: str, planned: dt.date, **fields: Any) -> Milestone:
    return Milestone.objects.create(
        project=cast.project,
        name=name,
        planned_date=planned,
        planned_value=fields.pop("planned_value", D("50000")),
        **fields,
    )


def change(cast: Cast, description: str, days_ago: int, **fields: Any) -> ChangeRequest:
    return ChangeRequest.objects.create(
        project=cast.project,
        asked_by=cast.contact,
        asked_at=NOW - dt.timedelta(days=days_ago),
        description=description,
        value=fields.pop("value", D("10000")),
        **fields,
    )


@pytest.fixture
def delivered(cast: Cast) -> Cast:
    """Eight monthly reports (one revised), three milestones, three changes."""
    for month in range(1, 9):
        report(cast, month)
    first = StatusReport.objects.get(period_end=month_end(3))
    services.status_report_revise(
        report=first, actor=cast.owner, reason="Invoices of March were late.", changes={}
    )
    milestone(cast, "Requirements signed", dt.date(2026, 3, 1), actual_date=dt.date(2026, 3, 12))
    milestone(cast, "Prototype", dt.date(2026, 6, 30), forecast_date=dt.date(2026, 12, 10))
    milestone(cast, "Acceptance tests", dt.date(2026, 12, 1))
    change(cast, "Extra export format", 40)
    change(
        cast,
        "Second language",
        60,
        decision=Decision.ABSORBED,
        decided_by=cast.owner,
        decided_at=NOW - dt.timedelta(days=50),
        reason="Goodwill.",
        value=D("25000"),
    )
    change(cast, "Faster search", 3)
    return cast


def page(client: Browser, cast: Cast, who: str = "owner") -> str:
    client.force_login(cast.everyone()[who])
    return client.get(cast.project.get_absolute_url()).content.decode()


# ---------------------------------------------------------------------------------------------
# The section


def test_it_shows_the_latest_indices_with_bands_and_the_scurve(
    client: Browser, delivered: Cast
) -> None:
    body = page(client, delivered)
    assert 'id="delivery"' in body
    assert "Latest status: period ending 31 Aug 2026" in body
    # EV 144,000, AC 168,000: CPI 0.857 (red under the default bands).
    cpi_row = re.search(r"Cost performance \(CPI\).*?</tr>", body, re.S)
    assert cpi_row and "0.86" in cpi_row.group() and ">Red<" in cpi_row.group()
    for label in ("EAC, cost trend", "EAC, rest at budget", "EAC, cost and schedule", "SPI(t)"):
        assert label in body
    assert "Forecast duration" in body and "Variance at completion (VAC)" in body
    assert "TCPI to BAC" in body and "hard to achieve" in body  # (BAC−EV)/(BAC−AC) = 1.3
    option = json.loads(html.unescape(re.search(r'data-chart="([^"]+)"', body).group(1)))  # type: ignore[union-attr]
    names = [series["name"] for series in option["series"]]
    assert names == ["Planned value (PV)", "Earned value (EV)", "Actual cost (AC)"]
    dashes = [series["lineStyle"]["type"] for series in option["series"]]
    assert len(set(dashes)) == 3  # told apart without colour
    assert len({series["symbol"] for series in option["series"]}) == 3
    levels = [line["name"] for line in option["series"][0]["markLine"]["data"]]
    assert levels[:2] == ["BAC", "EAC"] and "Status date" in levels
    assert option["series"][1]["data"][0] == ["2026-01-05", 0]
    assert option["series"][1]["data"][-1] == ["2026-08-31", 144000.0]
    assert 'data-chart-kind="s-curve"' in body
    assert "The numbers behind the chart" in body and "not reported" in body


def test_it_bands_and_flags_by_the_active_policy(client: Browser, delivered: Cast) -> None:
    policy = HealthPolicy.objects.active()
    config = policy.config | {
        "delivery": {"cpi": {"green_at": 0.85, "amber_at": 0.8}, "pending_change_days": 45}
    }
    HealthPolicy.objects.filter(pk=policy.pk).update(active=False)
    HealthPolicy.objects.create(version=policy.version + 1, active=True, config=config)
    body = page(client, delivered)
    cpi_row = re.search(r"Cost performance \(CPI\).*?</tr>", body, re.S)
    assert cpi_row and ">Green<" in cpi_row.group()  # 0.857 against a green at 0.85
    assert "pending longer than" not in body  # 40 days, within the policy's 45
    assert "CPI green at 0.85, amber from 0.80" in body


def test_it_shows_not_defined_rather_than_a_false_number(client: Browser, cast: Cast) -> None:
    report(cast, 1, earned_value=D("0"), actual_cost=D("0"))
    body = page(client, cast)
    cpi_row = re.search(r"Cost performance \(CPI\).*?</tr>", body, re.S)
    assert cpi_row and "not defined" in cpi_row.group()
    assert "n/d" in body  # in the history


def test_it_shows_a_project_without_reports(client: Browser, cast: Cast) -> None:
    body = page(client, cast)
    assert "No status report yet." in body and "No milestones yet." in body
    assert "No change requests yet." in body
    assert "Baseline 1: BAC" in body
    assert not Baseline.objects.exists()  # reading writes nothing


def test_it_lays_milestones_out_with_slippage_and_acceptance(
    client: Browser, delivered: Cast
) -> None:
    body = page(client, delivered)
    section = body[body.index('id="milestones-heading"') : body.index('id="changes-heading"')]
    assert section.index("Requirements signed") < section.index("Prototype")
    assert "11 days late" in section  # done 12 March, planned 1 March
    assert "Awaiting the client's acceptance" in section
    assert "163 days late" in section  # forecast 10 December, planned 30 June
    assert ">Overdue<" in section
    assert "Record acceptance" in section and "Complete<" in section


def test_it_flags_pending_changes_older_than_the_policy_limit(
    client: Browser, delivered: Cast
) -> None:
    body = page(client, delivered)
    ledger = body[body.index('id="changes-heading"') : body.index('id="reports-heading"')]
    assert "1 pending longer than 14 days" in ledger
    row = ledger[ledger.rindex("<tr", 0, ledger.index("Extra export format")) :]
    row = row[: row.index("</tr>")]
    assert 'class="table-danger"' in row and "over 14 days" in row
    fresh = ledger[ledger.rindex("<tr", 0, ledger.index("Faster search")) :]
    assert "over 14 days" not in fresh[: fresh.index("</tr>")]
    # Absorbed 25,000 of a 250,000 BAC.
    assert "<strong>25,000</strong>, <strong>10 %</strong> of the BAC" in ledger


def test_it_lists_every_revision_and_marks_the_current_one(
    client: Browser, delivered: Cast
) -> None:
    body = page(client, delivered)
    history = body[body.index('id="reports-heading"') :]
    assert history.count(">current<") == 8 and history.count(">superseded<") == 1
    assert "Invoices of March were late." in history
    assert history.count(">Revise<") == 8


def test_it_shows_readers_the_section_without_forms(client: Browser, delivered: Cast) -> None:
    for who in ("teammate", "executive"):
        body = page(client, delivered, who)
        assert "Latest status" in body
        assert "Re-baseline" not in body and ">Revise<" not in body and "Decide" not in body


# ---------------------------------------------------------------------------------------------
# Status reports


def report_data(**overrides: object) -> dict[str, object]:
    return {
        "period_end": "2026-10-31",
        "ev_source": "entered",
        "earned_value": "150000",
        "actual_cost": "170000",
        "planned_value": "",
        "percent_complete": "60",
        "rag": "amber",
        "narrative": "Integration started.",
    } | overrides


def test_it_loads_the_report_form_and_posts_it_with_htmx(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("projects:report_create", args=[cast.project.pk])
    form = client.get(url, headers=HTMX).content.decode()
    assert f'hx-post="{url}"' in form and "<html" not in form
    # The latest period without a report is offered first; the current one (November) too.
    assert '<option value="2026-10-31" selected>' in form and 'value="2026-11-30"' in form
    assert 'value="2026-12-18"' not in form
    response = client.post(url, report_data(), headers=HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#delivery" and response["HX-Reswap"] == "outerHTML"
    body = response.content.decode()
    assert "Status report saved." in body and "Latest status: period ending 31 Oct 2026" in body
    saved = StatusReport.objects.get()
    assert (saved.earned_value, saved.created_by) == (D("150000"), cast.owner)


def test_it_submits_a_report_without_javascript(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("projects:report_create", args=[cast.project.pk])
    assert "<html" in client.get(url).content.decode()
    response = client.post(url, report_data())
    assert response.status_code == 302
    assert response["Location"] == cast.project.get_absolute_url() + "#delivery"


def test_it_derives_ev_from_milestones_on_request(client: Browser, cast: Cast) -> None:
    milestone(cast, "Design", dt.date(2026, 3, 1), actual_date=dt.date(2026, 3, 10))
    client.force_login(cast.owner)
    url = reverse("projects:report_create", args=[cast.project.pk])
    assert "(50,000.00 today)" in client.get(url).content.decode()
    client.post(url, report_data(ev_source="milestones", earned_value=""), headers=HTMX)
    assert StatusReport.objects.get().earned_value == D("50000")


@pytest.mark.parametrize(
    "overrides,words",
    [
        ({"actual_cost": "-1"}, "This cannot be negative."),
        ({"earned_value": ""}, "Enter the earned value, or derive it from milestones."),
        ({"earned_value": "250000.01"}, "re-baseline the project first"),
        ({"period_end": "2026-10-15"}, "Select a valid choice"),
        ({"percent_complete": "120"}, "less than or equal to 100"),
    ],
)
def test_it_refuses_a_bad_report_and_writes_nothing(
    client: Browser, cast: Cast, overrides: dict[str, str], words: str
) -> None:
    client.force_login(cast.owner)
    url = reverse("projects:report_create", args=[cast.project.pk])
    response = client.post(url, report_data(**overrides), headers=HTMX)
    assert response.status_code == 422
    assert words in html.unescape(response.content.decode())
    assert "HX-Retarget" not in response
    assert not StatusReport.objects.exists() and not Baseline.objects.exists()


def test_it_does_not_offer_a_period_reported_already(client: Browser, cast: Cast) -> None:
    report(cast, 10)
    client.force_login(cast.owner)
    url = reverse("projects:report_create", args=[cast.project.pk])
    assert 'value="2026-10-31"' not in client.get(url).content.decode()
    response = client.post(url, report_data())
    assert response.status_code == 422
    assert StatusReport.objects.count() == 1


def test_it_revises_a_report_with_a_reason(client: Browser, cast: Cast) -> None:
    first = report(cast, 10)
    client.force_login(cast.owner)
    url = reverse("projects:report_revise", args=[first.pk])
    form = client.get(url, headers=HTMX).content.decode()
    assert 'value="180000.00"' in form  # the numbers it corrects
    data = report_data(actual_cost="200000", revision_reason="")
    data.pop("period_end")
    refused = client.post(url, data, headers=HTMX)
    assert refused.status_code == 422 and "This field is required." in refused.content.decode()
    assert StatusReport.objects.count() == 1
    data["revision_reason"] = "A late subcontractor invoice."
    response = client.post(url, data, headers=HTMX)
    assert "revised" in response.content.decode()
    assert StatusReport.objects.count() == 2
    assert StatusReport.objects.current().get().actual_cost == D("200000")
    # The superseded revision cannot be revised again.
    again = client.post(url, data, headers=HTMX)
    assert again.status_code == 422 and "revise the latest one" in again.content.decode()
    assert StatusReport.objects.count() == 2


# ---------------------------------------------------------------------------------------------
# Milestones


def test_it_adds_and_edits_a_milestone(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("projects:milestone_create", args=[cast.project.pk])
    data = {"name": "Go-live", "planned_date": "2026-12-10", "planned_value": "60000"}
    data |= {"percent_complete": "0"}
    response = client.post(url, data, headers=HTMX)
    assert response.status_code == 200 and "Go-live" in response.content.decode()
    created = Milestone.objects.get()
    edit = reverse("projects:milestone_edit", args=[created.pk])
    data |= {"forecast_date": "2026-12-20", "version": created.version}
    assert client.post(edit, data, headers=HTMX).status_code == 200
    created.refresh_from_db()
    assert created.forecast_date == dt.date(2026, 12, 20) and created.version == 2
    stale = client.post(edit, data | {"name": "Other"}, headers=HTMX)
    assert stale.status_code == 422 and "changed by someone else" in stale.content.decode()
    assert Milestone.objects.get().name == "Go-live"


def test_it_refuses_milestone_dates_before_the_project(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("projects:milestone_create", args=[cast.project.pk])
    data = {"name": "Kick-off", "planned_date": "2025-12-01", "forecast_date": "2025-12-02"}
    response = client.post(url, data | {"planned_value": "-1", "percent_complete": "0"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "before the project starts" in body and "The forecast is before" in body
    assert "greater than or equal to 0" in body
    assert not Milestone.objects.exists()


def test_it_completes_a_milestone_with_acceptance(client: Browser, cast: Cast) -> None:
    item = milestone(cast, "Design", dt.date(2026, 11, 1))
    stranger = ContactFactory(client=cast.other_client)
    client.force_login(cast.owner)
    url = reverse("projects:milestone_complete", args=[item.pk])
    form = client.get(url, headers=HTMX).content.decode()
    assert "Marie Curie" in form and stranger.last_name not in form
    data = {"actual_date": "2026-11-05", "accepted_by": stranger.pk, "version": item.version}
    refused = client.post(url, data, headers=HTMX)
    assert refused.status_code == 422 and "Select a valid choice" in refused.content.decode()
    future = client.post(url, data | {"actual_date": "2026-11-30", "accepted_by": ""}, headers=HTMX)
    assert future.status_code == 422 and "has come" in future.content.decode()
    item.refresh_from_db()
    assert item.actual_date is None
    data |= {"accepted_by": cast.contact.pk, "accepted_at": "2026-11-06T10:00"}
    assert client.post(url, data, headers=HTMX).status_code == 200
    item.refresh_from_db()
    assert (item.actual_date, item.accepted_by) == (dt.date(2026, 11, 5), cast.contact)
    assert item.accepted_at == dt.datetime(2026, 11, 6, 9, 0, tzinfo=dt.UTC)  # 10:00 in Paris


# ---------------------------------------------------------------------------------------------
# Change requests


def test_it_logs_and_decides_a_change(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("projects:change_create", args=[cast.project.pk])
    data = {
        "asked_by": cast.contact.pk,
        "asked_at": "2026-11-20T10:00",
        "description": "Add a dark mode.",
        "effort_hours": "40",
        "value": "6000",
    }
    assert client.post(url, data, headers=HTMX).status_code == 200
    created = ChangeRequest.objects.get()
    assert created.decision == "pending" and created.asked_by == cast.contact
    decide = reverse("projects:change_decide", args=[created.pk])
    refused = client.post(decide, {"decision": "absorbed", "version": 1}, headers=HTMX)
    assert refused.status_code == 422 and "This field is required." in refused.content.decode()
    ok = client.post(
        decide,
        {"decision": "absorbed", "reason": "Goodwill before renewal.", "version": 1},
        headers=HTMX,
    )
    assert ok.status_code == 200 and "Change request decided." in ok.content.decode()
    created.refresh_from_db()
    assert (created.decision, created.decided_by, created.decided_at) == (
        "absorbed",
        cast.owner,
        NOW,
    )
    again = client.post(decide, {"decision": "billed", "reason": "x", "version": 2})
    assert again.status_code == 422 and "decided already" in again.content.decode()


def test_it_refuses_a_change_from_another_client_or_the_future(client: Browser, cast: Cast) -> None:
    stranger = ContactFactory(client=cast.other_client)
    client.force_login(cast.owner)
    url = reverse("projects:change_create", args=[cast.project.pk])
    data = {"asked_by": stranger.pk, "asked_at": "2026-11-24T10:00", "description": ""}
    response = client.post(url, data | {"value": "-5", "effort_hours": "0"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "Select a valid choice" in body and "in the future" in body
    assert "This field is required." in body and "greater than or equal to 0" in body
    assert not ChangeRequest.objects.exists()


# ---------------------------------------------------------------------------------------------
# Re-baselining and the project form


def test_it_re_baselines_from_the_section(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("projects:rebaseline", args=[cast.project.pk])
    assert 'value="250000.00"' in client.get(url, headers=HTMX).content.decode()
    refused = client.post(url, {"budget": "300000", "reason": "", "plan": "2026-13-01 5"})
    body = refused.content.decode()
    assert refused.status_code == 422 and "This field is required." in body
    assert "line 1" in body
    assert not Baseline.objects.exists()
    response = client.post(url, {"budget": "300000", "reason": "Phase 2."}, headers=HTMX)
    assert "Project re-baselined." in response.content.decode()
    assert Project.objects.get(pk=cast.project.pk).budget == D("300000")
    assert list(Baseline.objects.values_list("number", flat=True)) == [2, 1]


def test_it_keeps_the_budget_out_of_the_edit_form(client: Browser, cast: Cast) -> None:
    client.force_login(cast.owner)
    url = reverse("projects:edit", args=[cast.project.pk])
    form = client.get(url).content.decode()
    assert "re-baseline to change the budget" in form and "Reporting period" in form
    data = {
        "name": "Cabin software",
        "manager": cast.owner.pk,
        "team": [cast.teammate.pk],
        "status": "active",
        "contract_type": "fixed_price",
        "budget": "1",
        "start_date": "2026-01-05",
        "end_date": "2026-12-18",
        "reporting_period": "weekly",
        "version": cast.project.version,
    }
    assert client.post(url, data).status_code == 302
    project = Project.objects.get(pk=cast.project.pk)
    assert project.budget == D("250000") and project.reporting_period == "weekly"


def test_it_sets_the_budget_and_reporting_period_on_a_new_project(
    client: Browser, cast: Cast
) -> None:
    client.force_login(cast.owner)
    data = {
        "name": "Ground station",
        "manager": cast.owner.pk,
        "status": "active",
        "contract_type": "fixed_price",
        "budget": "480000",
        "start_date": "2026-12-01",
        "end_date": "2027-06-30",
        "reporting_period": "weekly",
    }
    url = reverse("projects:create") + f"?client={cast.client.pk}"
    assert client.post(url, data).status_code == 302
    created = Project.objects.get(name="Ground station")
    assert (created.budget, created.reporting_period) == (D("480000"), "weekly")


# ---------------------------------------------------------------------------------------------
# The CSV


def test_it_exports_every_revision_with_its_indices(client: Browser, delivered: Cast) -> None:
    client.force_login(delivered.teammate)
    response = client.get(reverse("projects:report_export", args=[delivered.project.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(read(response).decode())))
    assert len(rows) == 9
    march = [r for r in rows if r["period end"] == "2026-03-31"]
    assert [(r["revision"], r["current"]) for r in march] == [("1", "no"), ("2", "yes")]
    assert march[1]["revision reason"] == "Invoices of March were late."
    august = rows[-1]
    assert (august["ev"], august["ac"], august["cpi"]) == ("144000.00", "168000.00", "0.8571")
    assert august["eac bac/cpi"] == "291666.67" and august["baseline"] == "1"
    assert float(august["spi(t)"]) > 0


# ---------------------------------------------------------------------------------------------
# Who may do what

WHO = ["owner", "teammate", "outsider", "director", "other_director", "executive", "admin"]
SEE = dict(zip(WHO, [200, 200, 404, 200, 404, 200, 200], strict=True))
EDIT = dict(zip(WHO, [200, 403, 404, 200, 404, 403, 200], strict=True))

Url = Callable[[Cast], str]


def _first(model: type[Any]) -> Callable[[Cast], int]:
    return lambda cast: model.objects.order_by("pk").values_list("pk", flat=True).first()


def url(name: str, pk: Callable[[Cast], int] | None = None) -> Url:
    return lambda cast: reverse(name, args=[pk(cast) if pk else cast.project.pk])


GETS: list[tuple[str, Url, dict[str, int]]] = [
    ("project page", url("projects:detail"), SEE),
    ("delivery section", url("projects:delivery"), SEE),
    ("status csv", url("projects:report_export"), SEE),
    ("new report", url("projects:report_create"), EDIT),
    ("revise report", url("projects:report_revise", _first(StatusReport)), EDIT),
    ("new milestone", url("projects:milestone_create"), EDIT),
    ("edit milestone", url("projects:milestone_edit", _first(Milestone)), EDIT),
    ("complete milestone", url("projects:milestone_complete", _first(Milestone)), EDIT),
    ("new change", url("projects:change_create"), EDIT),
    ("decide change", url("projects:change_decide", _first(ChangeRequest)), EDIT),
    ("re-baseline", url("projects:rebaseline"), EDIT),
]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name,make_url,expected", GETS, ids=[g[0] for g in GETS])
def test_it_answers_each_url_according_to_access(
    client: Browser,
    delivered: Cast,
    who: str,
    name: str,
    make_url: Url,
    expected: dict[str, int],
) -> None:
    client.force_login(delivered.everyone()[who])
    response = client.get(make_url(delivered))
    assert response.status_code == expected[who], f"{who} on {name}"


Data = dict[str, object] | Callable[[Cast], dict[str, object]]


def _data(data: Data, cast: Cast) -> dict[str, object]:
    return data(cast) if callable(data) else data


def _written() -> tuple[object, ...]:
    return (
        StatusReport.objects.count(),
        Milestone.objects.filter(actual_date__isnull=False).count(),
        tuple(Milestone.objects.order_by("pk").values_list("name", "version")),
        ChangeRequest.objects.count(),
        ChangeRequest.objects.filter(decision="pending").count(),
        Baseline.objects.count(),
    )


POSTS: list[tuple[str, Url, Data]] = [
    ("new report", url("projects:report_create"), report_data()),
    (
        "revise report",
        url("projects:report_revise", _first(StatusReport)),
        report_data(revision_reason="x"),
    ),
    (
        "new milestone",
        url("projects:milestone_create"),
        {"name": "X", "planned_date": "2026-10-01", "planned_value": "1", "percent_complete": "0"},
    ),
    (
        "edit milestone",
        url("projects:milestone_edit", _first(Milestone)),
        {"name": "Renamed", "planned_date": "2026-03-01", "planned_value": "0"}
        | {"percent_complete": "0"},
    ),
    (
        "new change",
        url("projects:change_create"),
        lambda cast: {
            "asked_by": cast.contact.pk,
            "asked_at": "2026-11-20T10:00",
            "description": "Another export",
            "effort_hours": "4",
            "value": "800",
        },
    ),
    (
        "complete milestone",
        url("projects:milestone_complete", _first(Milestone)),
        {"actual_date": "2026-11-20"},
    ),
    (
        "decide change",
        url("projects:change_decide", _first(ChangeRequest)),
        {"decision": "billed", "reason": "Signed."},
    ),
    ("re-baseline", url("projects:rebaseline"), {"budget": "400000", "reason": "Scope."}),
]


@pytest.mark.parametrize("who", ["teammate", "outsider", "executive", "other_director"])
@pytest.mark.parametrize("name,make_url,data", POSTS, ids=[p[0] for p in POSTS])
def test_it_lets_no_one_else_write(
    client: Browser, delivered: Cast, who: str, name: str, make_url: Url, data: Data
) -> None:
    before = _written()
    client.force_login(delivered.everyone()[who])
    response = client.post(make_url(delivered), _data(data, delivered), headers=HTMX)
    assert response.status_code == EDIT[who], f"{who} on {name}"
    assert _written() == before


@pytest.mark.parametrize("who", ["director", "admin"])
@pytest.mark.parametrize("name,make_url,data", POSTS, ids=[p[0] for p in POSTS])
def test_it_lets_editors_write(
    client: Browser, delivered: Cast, who: str, name: str, make_url: Url, data: Data
) -> None:
    before = _written()
    client.force_login(delivered.everyone()[who])
    response = client.post(make_url(delivered), _data(data, delivered), headers=HTMX)
    assert response.status_code == 200, (name, html.unescape(response.content.decode())[:3000])
    assert response["HX-Retarget"] == "#delivery"
    assert _written() != before


# ---------------------------------------------------------------------------------------------
# Query budgets


def add_rows(cast: Cast, start: int, stop: int) -> None:
    for n in range(start, stop):
        milestone(cast, f"Milestone {n}", dt.date(2026, 2, 1) + dt.timedelta(days=n))
        change(cast, f"Change {n}", n % 30)
    for month in range(start, min(stop, 12)):
        revised = report(cast, month)
        services.status_report_revise(report=revised, actor=cast.owner, reason="x", changes={})


PAGES: dict[str, Url] = {
    "project page": url("projects:detail"),
    "delivery section": url("projects:delivery"),
    "status csv": url("projects:report_export"),
}


@pytest.mark.parametrize("name", PAGES)
def test_it_keeps_page_queries_constant_in_the_number_of_rows(
    client: Browser, cast: Cast, name: str, django_assert_max_num_queries: Any
) -> None:
    client.force_login(cast.owner)
    target = PAGES[name](cast)
    add_rows(cast, 1, 2)
    few = count_queries(lambda: read(client.get(target)))
    add_rows(cast, 2, 50)
    many = count_queries(lambda: read(client.get(target)))
    assert few == many, f"{name}: {few} queries with 1 row, {many} with 50"
    with django_assert_max_num_queries(30):
        read(client.get(target))
