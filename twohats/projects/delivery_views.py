"""The project page's delivery hat: the section (S-curve, indices, milestones, change ledger,
report history), its entry forms over HTMX, and the status history as CSV.

Every form works with and without JavaScript: HTMX loads it into the section's form slot and,
once saved, swaps the whole section in again (its numbers all move together); without HTMX it
is a page of its own that returns to the project. Reading needs the project visible (else 404);
writing needs it editable (else 403 when it is visible)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import reswap, retarget

from twohats.forms import Form
from twohats.projects import evm
from twohats.projects.delivery_forms import (
    ChangeRequestForm,
    DecisionForm,
    MilestoneCompleteForm,
    MilestoneForm,
    RebaselineForm,
    RevisionForm,
    StatusReportForm,
)
from twohats.projects.models import ChangeRequest, Milestone, Project, StatusReport
from twohats.projects.selectors import DeliveryDetail, SCurve, delivery_detail, report_rows
from twohats.projects.services import (
    baseline_create,
    change_request_decide,
    earned_value_from_milestones,
    milestone_complete,
    status_report_revise,
    status_report_submit,
)
from twohats.web import add_errors, can_edit, csv_response, get_visible, user_of
from twohats.writes import StaleRecordError, record_create, record_update

M = TypeVar("M", bound=models.Model)

NOT_DEFINED = "not defined"


# ---------------------------------------------------------------------------------------------
# What the section shows


def _money(value: Decimal | None) -> str:
    return NOT_DEFINED if value is None else floatformat(value, "0g")


def _ratio(value: float | None) -> str:
    return NOT_DEFINED if value is None else f"{value:.2f}"


def _periods(value: float | None) -> str:
    return NOT_DEFINED if value is None else f"{value:.1f}"


def _share(value: float | None) -> str:
    return NOT_DEFINED if value is None else f"{value * 100:.0f} %"


def _row(
    label: str,
    formula: str,
    value: str,
    *,
    band: str | None = None,
    hard: bool = False,
    note: str = "",
) -> dict[str, Any]:
    return {
        "label": label,
        "formula": formula,
        "value": value,
        "band": band,
        "hard": hard,
        "note": note,
    }


def index_groups(detail: DeliveryDetail) -> list[tuple[str, list[dict[str, Any]]]]:
    """The latest report's indices, grouped and worded for the page."""
    if detail.latest is None:
        return []
    e, bands = detail.latest.evm, detail.bands
    pd = e.planned_duration
    finish = detail.scurve.forecast_finish
    forecast = ""
    if e.forecast_duration is not None and pd:
        forecast = f"{pd} periods planned"
        if finish:
            planned = detail.project.end_date
            forecast += f"; finishing about {finish:%-d %b %Y} (planned {planned:%-d %b %Y})"
    return [
        (
            "Schedule",
            [
                _row("Schedule variance (SV)", "EV − PV", _money(e.sv)),
                _row("Schedule performance (SPI)", "EV / PV", _ratio(e.spi), band=bands["spi"]),
                _row("Earned schedule (ES)", "periods", _periods(e.es)),
                _row("Actual time (AT)", "periods", _periods(e.at)),
                _row("SPI(t)", "ES / AT", _ratio(e.spi_t), band=bands["spi_t"]),
                _row("SV(t)", "ES − AT, periods", _periods(e.sv_t)),
                _row(
                    "Forecast duration",
                    "PD / SPI(t), periods",
                    _periods(e.forecast_duration),
                    note=forecast,
                ),
            ],
        ),
        (
            "Cost",
            [
                _row("Cost variance (CV)", "EV − AC", _money(e.cv)),
                _row("Cost performance (CPI)", "EV / AC", _ratio(e.cpi), band=bands["cpi"]),
                _row("EAC, cost trend", "BAC / CPI", _money(e.eac_cpi)),
                _row("EAC, rest at budget", "AC + (BAC − EV)", _money(e.eac_atypical)),
                _row(
                    "EAC, cost and schedule",
                    "AC + (BAC − EV) / (CPI × SPI)",
                    _money(e.eac_cpi_spi),
                ),
                _row("Estimate to complete (ETC)", "EAC − AC", _money(e.etc)),
                _row("Variance at completion (VAC)", "BAC − EAC", _money(e.vac)),
                _row(
                    "TCPI to BAC",
                    "(BAC − EV) / (BAC − AC)",
                    _ratio(e.tcpi_bac),
                    hard=evm.tcpi_is_hard(e.tcpi_bac),
                ),
                _row(
                    "TCPI to EAC",
                    "(BAC − EV) / (EAC − AC)",
                    _ratio(e.tcpi_eac),
                    hard=evm.tcpi_is_hard(e.tcpi_eac),
                ),
                _row("Budget spent", "AC / BAC", _share(e.percent_spent)),
                _row("Work earned", "EV / BAC", _share(e.percent_complete_ev)),
            ],
        ),
    ]


# The S-curve: each line has its own dash and marker and is named at its end, so it reads
# without colour; the numbers are in a table beside it.
PV_COLOUR, EV_COLOUR, AC_COLOUR = "#1f4e9c", "#2a7d4f", "#b8520a"
BAC_COLOUR, EAC_COLOUR, DATE_COLOUR = "#495057", "#b0263c", "#6c757d"


def _points(curve: SCurve, points: list[Any]) -> list[list[Any]]:
    return [[curve.start.isoformat(), 0]] + [[d.isoformat(), float(v)] for d, v in points]


def _line(name: str, short: str, colour: str, symbol: str, dash: str, width: float) -> dict:
    return {
        "name": name,
        "type": "line",
        "color": colour,
        "symbol": symbol,
        "symbolSize": 7,
        "lineStyle": {"type": dash, "width": width},
        "endLabel": {"show": True, "formatter": short, "fontWeight": "bold"},
        "emphasis": {"focus": "series"},
    }


def _level(name: str, value: Decimal, colour: str, dash: str, where: str) -> dict[str, Any]:
    return {
        "name": name,
        "yAxis": float(value),
        "label": {"formatter": f"{name} {_money(value)}", "position": where, "color": colour},
        "lineStyle": {"color": colour, "type": dash, "width": 1.5},
    }


def _nice_ceiling(value: float) -> float:
    """A round number a little above the value, for the top of the value axis."""
    if value <= 0:
        return 1.0
    step = 10 ** (math.floor(math.log10(value)) - 1) * 5
    return math.ceil(value * 1.04 / step) * step


def _moment(name: str, day: Any, dash: str, where: str) -> dict[str, Any]:
    return {
        "name": name,
        "xAxis": day.isoformat(),
        "label": {"formatter": name, "position": where, "color": DATE_COLOUR},
        "lineStyle": {"color": DATE_COLOUR, "type": dash, "width": 1},
    }


def scurve_chart(curve: SCurve) -> str:
    """The ECharts option of the S-curve (static/twohats/charts.js adds the money labels)."""
    pv = _line("Planned value (PV)", "PV", PV_COLOUR, "triangle", "dashed", 2)
    ev = _line("Earned value (EV)", "EV", EV_COLOUR, "circle", "solid", 3)
    ac = _line("Actual cost (AC)", "AC", AC_COLOUR, "rect", "dotted", 2.5)
    pv["data"] = _points(curve, curve.plan)
    pv["symbolSize"] = 5
    ev["data"] = _points(curve, curve.earned) if curve.earned else []
    ac["data"] = _points(curve, curve.actual) if curve.actual else []
    # EV and AC often end at the same point: their names sit one above the other.
    ev["endLabel"]["offset"] = [4, 9]
    ac["endLabel"]["offset"] = [4, -9]
    # The two levels may lie close together: their labels sit apart, at the start and the middle.
    levels = [_level("BAC", curve.bac, BAC_COLOUR, "solid", "insideStartTop")]
    if curve.eac is not None:
        levels.append(_level("EAC", curve.eac, EAC_COLOUR, "dashed", "insideMiddleTop"))
    moments = []
    if curve.status_date:
        # Its label at the foot of the line, the forecast's at the head: they may be close.
        moments.append(_moment("Status date", curve.status_date, "dotted", "insideStartTop"))
    if curve.forecast_finish and curve.forecast_finish != curve.end:
        moments.append(_moment("Forecast finish", curve.forecast_finish, "dashed", "insideEndTop"))
    heights = [v for _, v in curve.plan + curve.earned + curve.actual]
    mark = {"silent": True, "symbol": "none", "animation": False}
    pv["markLine"] = mark | {"data": levels + moments}
    last = max(
        [curve.end, curve.forecast_finish or curve.end] + [d for d, _ in curve.earned],
    )
    description = (
        f"Cumulative planned value, earned value and actual cost from {curve.start:%Y-%m-%d} "
        f"to {last:%Y-%m-%d}, against the budget at completion"
        + (" and the estimate at completion." if curve.eac is not None else ".")
    )
    option = {
        "animation": False,
        "aria": {"enabled": True, "label": {"description": description}},
        "textStyle": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 64, "right": 52, "top": 40, "bottom": 32},
        "xAxis": {"type": "time", "min": curve.start.isoformat(), "max": last.isoformat()},
        "yAxis": {
            "type": "value",
            "min": 0,
            # Up to the highest of the curves and the levels (ECharts fits the curves only).
            "max": _nice_ceiling(max(float(v) for v in [curve.bac, curve.eac or 0, *heights])),
            "splitLine": {"lineStyle": {"type": "dashed"}},
        },
        "series": [pv, ev, ac],
    }
    return json.dumps(option, separators=(",", ":"))


def delivery_context(
    request: HttpRequest, project: Project, *, can_write: bool | None = None, **extra: Any
) -> dict[str, Any]:
    """What the section's templates need, in a fixed number of queries."""
    if can_write is None:
        can_write = can_edit(Project, request, project.pk)
    detail = delivery_detail(project)
    return {
        "project": project,
        "delivery": detail,
        "indices": index_groups(detail),
        "scurve_chart": scurve_chart(detail.scurve),
        "can_write": can_write,
        "hard_tcpi": evm.TCPI_HARD,
        **extra,
    }


# ---------------------------------------------------------------------------------------------
# Access


def _project(request: HttpRequest, pk: int, *, write: bool = True) -> Project:
    """The project if the user may see it (else 404) and, to write, change it (else 403)."""
    project = get_visible(Project, request, pk, "client")
    if write and not can_edit(Project, request, pk):
        raise PermissionDenied("You may see this project but not change its delivery records.")
    return project


def _record_of_project(request: HttpRequest, model: type[M], pk: int) -> tuple[M, Project]:
    """A record reached by its own id, through its project's access rules."""
    record = get_object_or_404(model._default_manager.select_related("project"), pk=pk)
    project = _project(request, record.project_id)  # type: ignore[attr-defined]
    record.project = project  # type: ignore[attr-defined]
    return record, project


# ---------------------------------------------------------------------------------------------
# The form round trip


def _section(request: HttpRequest, project: Project, **extra: Any) -> HttpResponse:
    context = delivery_context(request, project, can_write=True, **extra)
    return render(request, "projects/_delivery.html", context)


def _form_view(
    request: HttpRequest,
    project: Project,
    form: Form | Any,
    save: Callable[[Any], Any],
    *,
    title: str,
    action: str,
    message: str,
    submit: str = "Save",
) -> HttpResponse:
    """Show the form; on a valid POST call the service. Saved: the section again (HTMX) or the
    project page. Refused: the form with its errors, and nothing written."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except (ValidationError, StaleRecordError) as error:
            add_errors(form, error)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                response = _section(request, project, done=message)
                return reswap(retarget(response, "#delivery"), "outerHTML")
            messages.success(request, message)
            return redirect(project.get_absolute_url() + "#delivery")
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    template = "projects/_delivery_form.html" if htmx else "projects/delivery_form.html"
    context = {"form": form, "project": project, "title": title, "action": action}
    context["submit"] = submit
    return render(request, template, context, status=422 if request.method == "POST" else 200)


def _post(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# ---------------------------------------------------------------------------------------------
# Views


@login_required
def delivery_section(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, write=False)
    return render(request, "projects/_delivery.html", delivery_context(request, project))


@login_required
def report_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    user = user_of(request)
    today = timezone.localdate()
    reported = set(project.status_reports.current().values_list("period_end", flat=True))
    form = StatusReportForm(
        _post(request),
        project=project,
        reported=reported,
        today=today,
        milestone_earned=earned_value_from_milestones(project, as_of=today),
    )
    return _form_view(
        request,
        project,
        form,
        lambda form: status_report_submit(
            project=project,
            actor=user,
            period_end=form.cleaned_data["period_end"],
            **form.numbers(),
        ),
        title="Status report",
        action=reverse("projects:report_create", args=[pk]),
        message="Status report saved.",
        submit="Submit report",
    )


@login_required
def report_revise(request: HttpRequest, pk: int) -> HttpResponse:
    report, project = _record_of_project(request, StatusReport, pk)
    user = user_of(request)
    form = RevisionForm(_post(request), report=report)
    return _form_view(
        request,
        project,
        form,
        lambda form: status_report_revise(
            report=report,
            actor=user,
            reason=form.cleaned_data["revision_reason"],
            changes=form.numbers(),
        ),
        title=f"Revise the report for {report.period_end:%-d %b %Y} (revision {report.revision})",
        action=reverse("projects:report_revise", args=[pk]),
        message=f"Report for {report.period_end:%-d %b %Y} revised.",
        submit="Save revision",
    )


@login_required
def milestone_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    user = user_of(request)
    form = MilestoneForm(_post(request), project=project)
    return _form_view(
        request,
        project,
        form,
        lambda form: record_create(
            Milestone, actor=user, fields=form.model_fields() | {"project": project}
        ),
        title="New milestone",
        action=reverse("projects:milestone_create", args=[pk]),
        message="Milestone added.",
    )


@login_required
def milestone_edit(request: HttpRequest, pk: int) -> HttpResponse:
    milestone, project = _record_of_project(request, Milestone, pk)
    user = user_of(request)
    form = MilestoneForm(_post(request), instance=milestone, project=project)
    return _form_view(
        request,
        project,
        form,
        lambda form: record_update(
            milestone,
            actor=user,
            fields=form.model_fields(),
            expected_version=form.expected_version,
        ),
        title=f"Edit milestone “{milestone.name}”",
        action=reverse("projects:milestone_edit", args=[pk]),
        message="Milestone saved.",
    )


@login_required
def milestone_complete_view(request: HttpRequest, pk: int) -> HttpResponse:
    milestone, project = _record_of_project(request, Milestone, pk)
    user = user_of(request)
    form = MilestoneCompleteForm(_post(request), milestone=milestone)
    return _form_view(
        request,
        project,
        form,
        lambda form: milestone_complete(
            milestone=milestone,
            actor=user,
            actual_date=form.cleaned_data["actual_date"],
            contact=form.cleaned_data["accepted_by"],
            accepted_at=form.cleaned_data["accepted_at"],
            expected_version=form.cleaned_data["version"],
        ),
        title=f"Complete milestone “{milestone.name}”",
        action=reverse("projects:milestone_complete", args=[pk]),
        message=f"Milestone “{milestone.name}” completed.",
    )


@login_required
def change_create(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    user = user_of(request)
    form = ChangeRequestForm(_post(request), project=project)
    return _form_view(
        request,
        project,
        form,
        lambda form: record_create(
            ChangeRequest, actor=user, fields=form.model_fields() | {"project": project}
        ),
        title="New change request",
        action=reverse("projects:change_create", args=[pk]),
        message="Change request logged: pending a decision.",
    )


@login_required
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    change, project = _record_of_project(request, ChangeRequest, pk)
    user = user_of(request)
    form = DecisionForm(_post(request), change=change)
    return _form_view(
        request,
        project,
        form,
        lambda form: change_request_decide(
            change=change,
            actor=user,
            decision=form.cleaned_data["decision"],
            at=form.cleaned_data["decided_at"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        ),
        title=f"Decide the change “{change}”",
        action=reverse("projects:change_decide", args=[pk]),
        message="Change request decided.",
        submit="Record the decision",
    )


@login_required
def rebaseline(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    user = user_of(request)
    form = RebaselineForm(_post(request), project=project)
    return _form_view(
        request,
        project,
        form,
        lambda form: baseline_create(
            project=project,
            actor=user,
            budget=form.cleaned_data["budget"],
            reason=form.cleaned_data["reason"],
            plan=form.cleaned_data["plan"],
        ),
        title="Re-baseline",
        action=reverse("projects:rebaseline", args=[pk]),
        message="Project re-baselined.",
        submit="Re-baseline",
    )


# ---------------------------------------------------------------------------------------------
# The status history as CSV


def _number(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


COLUMNS: list[tuple[str, Callable[[Any], Any]]] = [
    ("period end", lambda r: r.report.period_end),
    ("revision", lambda r: r.report.revision),
    ("current", lambda r: "yes" if r.current else "no"),
    ("superseded at", lambda r: r.report.superseded_at),
    ("revision reason", lambda r: r.report.revision_reason),
    ("baseline", lambda r: r.baseline_number),
    ("bac", lambda r: r.bac),
    ("pv", lambda r: r.report.planned_value),
    ("ev", lambda r: r.report.earned_value),
    ("ev source", lambda r: r.report.ev_source),
    ("ac", lambda r: r.report.actual_cost),
    ("percent complete", lambda r: r.report.percent_complete),
    ("rag", lambda r: r.report.rag),
    ("sv", lambda r: r.evm.sv),
    ("cv", lambda r: r.evm.cv),
    ("spi", lambda r: _number(r.evm.spi)),
    ("cpi", lambda r: _number(r.evm.cpi)),
    ("eac bac/cpi", lambda r: r.evm.eac_cpi),
    ("eac ac+bac-ev", lambda r: r.evm.eac_atypical),
    ("eac cpi*spi", lambda r: r.evm.eac_cpi_spi),
    ("etc", lambda r: r.evm.etc),
    ("vac", lambda r: r.evm.vac),
    ("tcpi bac", lambda r: _number(r.evm.tcpi_bac)),
    ("tcpi eac", lambda r: _number(r.evm.tcpi_eac)),
    ("es", lambda r: _number(r.evm.es)),
    ("at", lambda r: _number(r.evm.at)),
    ("spi(t)", lambda r: _number(r.evm.spi_t)),
    ("sv(t)", lambda r: _number(r.evm.sv_t)),
    ("forecast duration", lambda r: _number(r.evm.forecast_duration)),
    ("planned duration", lambda r: r.evm.planned_duration),
    ("narrative", lambda r: r.report.narrative),
    ("risks", lambda r: r.report.risks),
    ("next steps", lambda r: r.report.next_steps),
    ("created by", lambda r: r.report.created_by),
    ("created at", lambda r: r.report.created_at),
]


@login_required
def report_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every revision of every status report, oldest period first, with its indices."""
    project = _project(request, pk, write=False)
    _, _, rows = report_rows(project)
    rows.sort(key=lambda r: (r.report.period_end, r.report.revision))
    slug = f"status-{project.code or project.pk}".replace(" ", "-")
    return csv_response(rows, COLUMNS, slug)
