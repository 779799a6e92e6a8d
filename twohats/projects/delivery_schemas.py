"""The request and response bodies of the delivery API (`delivery_api`): status reports and
their indices, milestones, change requests, baselines and a project's delivery summary.

Bands follow the active health policy, read once a request however many rows show them.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import AwareDatetime, field_validator

from twohats.apikit import Id, In, PartialIn, PatchIn
from twohats.people.models import User
from twohats.projects import evm, selectors, services
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    Decision,
    EvSource,
    Milestone,
    Rag,
    StatusReport,
)

Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Text = Annotated[str, Field(max_length=5000)]
Version = Annotated[
    int | None,
    Field(None, ge=1, le=2**31 - 1, description="The version you read; if stale: 409."),
]
When = Annotated[
    AwareDatetime | None,
    Field(None, description="With its offset, e.g. +01:00 or Z; now if left out."),
]
Band = evm.Band


def policy_of(context: dict[str, Any] | None) -> selectors.DeliveryPolicy:
    """The bands of the active health policy, read once a request however many rows use them."""
    request = (context or {}).get("request")
    policy = getattr(request, "_delivery_policy", None)
    if policy is None:
        policy = selectors.delivery_policy()
        if request is not None:
            setattr(request, "_delivery_policy", policy)  # noqa: B010 (not a request attribute)
    return policy


def _name(user: User | None) -> str | None:
    return str(user) if user is not None else None


# ---------------------------------------------------------------------------------------------
# Status reports


class IndicesOut(Schema):
    """Earned-value measures as named in PMI's Practice Standard; null means not defined."""

    bac: Decimal = Field(..., description="Budget at completion of the baseline used.")
    sv: Decimal | None = Field(..., description="SV = EV − PV.")
    cv: Decimal | None = Field(..., description="CV = EV − AC.")
    spi: float | None = Field(..., description="SPI = EV / PV.")
    cpi: float | None = Field(..., description="CPI = EV / AC.")
    eac_cpi: Decimal | None = Field(..., description="EAC = BAC / CPI.")
    eac_atypical: Decimal | None = Field(..., description="EAC = AC + (BAC − EV).")
    eac_cpi_spi: Decimal | None = Field(..., description="EAC = AC + (BAC − EV) / (CPI × SPI).")
    etc: Decimal | None = Field(..., description="ETC = EAC − AC (EAC by CPI).")
    vac: Decimal | None = Field(..., description="VAC = BAC − EAC (EAC by CPI).")
    tcpi_bac: float | None = Field(..., description="(BAC − EV) / (BAC − AC).")
    tcpi_eac: float | None = Field(..., description="(BAC − EV) / (EAC − AC).")
    tcpi_bac_hard: bool = Field(..., description=f"TCPI to BAC above {evm.TCPI_HARD}.")
    tcpi_eac_hard: bool = Field(..., description=f"TCPI to EAC above {evm.TCPI_HARD}.")
    es: float | None = Field(..., description="Earned schedule, in periods.")
    at: float | None = Field(..., description="Actual time, in periods.")
    spi_t: float | None = Field(..., description="SPI(t) = ES / AT.")
    sv_t: float | None = Field(..., description="SV(t) = ES − AT, in periods.")
    forecast_duration: float | None = Field(..., description="IEAC(t) = PD / SPI(t), periods.")
    planned_duration: int | None = Field(..., description="PD: periods in the plan.")
    percent_spent: float | None = Field(..., description="AC / BAC.")
    percent_complete_ev: float | None = Field(..., description="EV / BAC.")
    spi_band: Band | None
    cpi_band: Band | None
    spi_t_band: Band | None


class ReportOut(Schema):
    id: int
    project: int = Field(..., alias="project_id")
    period_end: dt.date
    revision: int
    current: bool = Field(..., description="False once a later revision corrected it.")
    superseded_at: dt.datetime | None
    baseline: int = Field(..., alias="baseline_id")
    baseline_number: int = Field(..., alias="baseline.number")
    planned_value: Decimal
    earned_value: Decimal
    actual_cost: Decimal
    ev_source: str
    percent_complete: Decimal
    rag: str
    narrative: str
    risks: str
    next_steps: str
    revision_reason: str
    spi: float | None
    cpi: float | None
    spi_t: float | None
    spi_band: Band | None
    cpi_band: Band | None
    spi_t_band: Band | None
    created_by: int | None = Field(..., alias="created_by_id")
    created_by_name: str | None
    created_at: dt.datetime

    @staticmethod
    def resolve_current(obj: StatusReport) -> bool:
        return obj.superseded_at is None

    @staticmethod
    def resolve_spi_band(obj: StatusReport, context: dict[str, Any]) -> Band | None:
        return policy_of(context).spi_band(obj.spi)

    @staticmethod
    def resolve_cpi_band(obj: StatusReport, context: dict[str, Any]) -> Band | None:
        return policy_of(context).cpi_band(obj.cpi)

    @staticmethod
    def resolve_spi_t_band(obj: StatusReport, context: dict[str, Any]) -> Band | None:
        return policy_of(context).spi_band(obj.spi_t)

    @staticmethod
    def resolve_created_by_name(obj: StatusReport) -> str | None:
        return _name(obj.created_by)


class ReportDetailOut(ReportOut):
    indices: IndicesOut

    @staticmethod
    def resolve_indices(obj: StatusReport, context: dict[str, Any]) -> dict[str, Any]:
        return selectors.status_report_indices(obj, policy=policy_of(context))


class ReportIn(In):
    period_end: dt.date
    actual_cost: Money
    earned_value: Money | None = Field(None, description="Left out with ev_source=milestones.")
    planned_value: Money | None = Field(
        None, description="The baseline's plan at the period end, if left out."
    )
    ev_source: EvSource = Field(
        EvSource.ENTERED, description="`milestones`: EV is the value of the milestones earned."
    )
    percent_complete: Percent
    rag: Rag
    narrative: Text = ""
    risks: Text = ""
    next_steps: Text = ""


class ReportChanges(PartialIn):
    planned_value: Money | None = None
    earned_value: Money | None = None
    actual_cost: Money | None = None
    ev_source: EvSource | None = None
    percent_complete: Percent | None = None
    rag: Rag | None = None
    narrative: Text | None = None
    risks: Text | None = None
    next_steps: Text | None = None


class ReviseIn(In):
    reason: str = Field(..., min_length=1, max_length=5000, description="Why it is corrected.")
    changes: ReportChanges = Field(
        default_factory=ReportChanges, description="The fields that change; the rest are kept."
    )


class ReportQuery(Schema):
    revisions: Literal["current", "all"] = Field(
        "current", description="`all`: every revision, including those corrected since."
    )


# ---------------------------------------------------------------------------------------------
# Milestones


class MilestoneOut(Schema):
    id: int
    project: int = Field(..., alias="project_id")
    name: str
    planned_date: dt.date
    forecast_date: dt.date | None
    actual_date: dt.date | None = Field(..., description="Completed on; null until done.")
    slippage_days: int = Field(
        ...,
        description="Days after the planned date that it was done, or is forecast (negative: "
        "early); an open milestone past its date counts at least to today.",
    )
    planned_value: Decimal
    percent_complete: Decimal
    accepted_by: int | None = Field(..., alias="accepted_by_id")
    accepted_by_name: str | None
    accepted_at: dt.datetime | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_slippage_days(obj: Milestone) -> int:
        return obj.slippage_days(timezone.localdate())

    @staticmethod
    def resolve_accepted_by_name(obj: Milestone) -> str | None:
        return obj.accepted_by.name if obj.accepted_by else None


class MilestoneIn(In):
    name: str = Field(..., min_length=1, max_length=200)
    planned_date: dt.date
    forecast_date: dt.date | None = Field(None, description="If not on the planned date.")
    planned_value: Money = Field(Decimal(0), description="EV from milestones sums these.")
    percent_complete: Percent = Field(
        Decimal(0), description="For a milestone in progress: how much of its value is earned."
    )


class MilestonePatch(PatchIn):
    nullable = frozenset({"forecast_date"})

    name: str | None = Field(None, min_length=1, max_length=200)
    planned_date: dt.date | None = None
    forecast_date: dt.date | None = None
    planned_value: Money | None = None
    percent_complete: Percent | None = None


class AcceptIn(In):
    accepted_by: Id = Field(..., description="The contact, at the project's client, who accepted.")
    accepted_at: When = None
    version: Version = None


class CompleteIn(In):
    actual_date: dt.date = Field(..., description="The day it was completed.")
    accepted_by: Id | None = Field(None, description="The contact who accepted it, if one has.")
    accepted_at: When = None
    version: Version = None


# ---------------------------------------------------------------------------------------------
# Change requests


class ChangeOut(Schema):
    id: int
    project: int = Field(..., alias="project_id")
    asked_by: int = Field(..., alias="asked_by_id")
    asked_by_name: str = Field(..., alias="asked_by.name")
    asked_at: dt.datetime
    description: str
    effort_hours: Decimal
    value: Decimal = Field(..., description="What the change is worth at the firm's rates.")
    decision: str = Field(..., description="pending, billed, absorbed (as goodwill), declined.")
    decided_by: int | None = Field(..., alias="decided_by_id")
    decided_by_name: str | None
    decided_at: dt.datetime | None
    reason: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_decided_by_name(obj: ChangeRequest) -> str | None:
        return _name(obj.decided_by)


class ChangeIn(In):
    asked_by: Id = Field(..., description="The contact, at the project's client, who asked.")
    asked_at: When = None
    description: str = Field(..., min_length=1, max_length=5000)
    effort_hours: Decimal = Field(Decimal(0), ge=0, max_digits=9, decimal_places=1)
    value: Money = Decimal(0)


class DecideIn(In):
    decision: Literal["billed", "absorbed", "declined"]
    reason: Text = Field("", description="Required to absorb or decline: the ledger says why.")
    decided_at: When = None
    version: Version = None


class ChangeQuery(Schema):
    decision: Decision | None = None


# ---------------------------------------------------------------------------------------------
# Baselines


class PlanPoint(Schema):
    period_end: dt.date
    value: Decimal = Field(..., description="Cumulative planned value at the period end.")


class BaselineOut(Schema):
    id: int
    project: int = Field(..., alias="project_id")
    number: int
    budget: Decimal = Field(..., description="Budget at completion (BAC).")
    reason: str
    created_by: int | None = Field(..., alias="created_by_id")
    created_by_name: str | None
    created_at: dt.datetime
    plan: list[PlanPoint]

    @staticmethod
    def resolve_created_by_name(obj: Baseline) -> str | None:
        return _name(obj.created_by)

    @staticmethod
    def resolve_plan(obj: Baseline) -> list[PlanPoint]:
        # From the prefetched plan, in the model's order (by period end): no query per row. A
        # baseline without a stored plan gets the straight line with its next report: show it.
        plan = [(p.period_end, p.value) for p in obj.plan.all()]
        plan = plan or services.plan_linear(obj.project, obj.budget)
        return [PlanPoint(period_end=day, value=value) for day, value in plan]


class PlanPointIn(In):
    period_end: dt.date
    value: Money


class BaselineIn(In):
    budget: Money = Field(..., description="The new budget at completion; the project's follows.")
    reason: str = Field(..., min_length=1, max_length=5000, description="Why re-baseline.")
    plan: list[PlanPointIn] | None = Field(
        None,
        max_length=1000,
        description="Cumulative planned value per period end, in date order, reaching the "
        "budget; if left out, the budget spread evenly over the project's reporting periods.",
    )


# ---------------------------------------------------------------------------------------------
# A project's delivery at a glance


class MilestoneSummaryOut(Schema):
    count: int
    completed: int
    accepted: int
    slipped: int = Field(..., description="Done, forecast, or open past the planned date.")
    overdue: int = Field(..., description="Not completed and past the planned date.")
    due_soon: int = Field(
        ..., description=f"Not completed, due in the next {selectors.DUE_SOON_DAYS} days."
    )
    max_slippage_days: int | None = Field(..., description="Early or on time count as 0.")
    mean_slippage_days: float | None = Field(..., description="Early or on time count as 0.")
    planned_value: Decimal = Field(..., description="Sum of the milestones' planned values.")
    earned_value: Decimal = Field(..., description="Earned by today, as for ev_source=milestones.")


class DecisionTotalOut(Schema):
    count: int
    value: Decimal

    @field_validator("value")
    @classmethod
    def in_cents(cls, value: Decimal) -> Decimal:
        # A sum comes back from SQLite without its trailing zeros: show cents on every database.
        return value.quantize(services.CENT)


class LedgerOut(Schema):
    pending: DecisionTotalOut
    billed: DecisionTotalOut
    absorbed: DecisionTotalOut
    declined: DecisionTotalOut
    absorbed_share_of_bac: float | None = Field(
        ..., description="Value absorbed as goodwill over the budget at completion."
    )
    oldest_pending_at: dt.datetime | None


class DeliveryOut(Schema):
    project: int
    bac: Decimal = Field(..., description="Budget at completion of the current baseline.")
    baseline_number: int | None = Field(..., description="Null until the first baseline.")
    report: ReportOut | None = Field(..., description="The latest report in force.")
    indices: IndicesOut | None = Field(..., description="The latest report's indices.")
    milestones: MilestoneSummaryOut
    changes: LedgerOut
