"""Alerts over the JSON API: list and read what you may see; acknowledge, snooze, resolve or
dismiss what you may change. Alerts are raised and closed by the rules, never created here."""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import AwareDatetime

from twohats.alerts import services
from twohats.alerts.filters import AlertFilter, with_subjects
from twohats.alerts.models import Alert, AlertTransition, Rule, Severity, Status
from twohats.apikit import (
    Id,
    In,
    current_user,
    filter_list,
    get_editable,
    get_visible,
    paginated,
)
from twohats.people.models import User

router = Router(tags=["alerts"])


def _name(user: User | None) -> str | None:
    return str(user) if user is not None else None


class AlertOut(Schema):
    id: int
    rule: str
    rule_name: str
    severity: int = Field(..., description="1 low, 2 medium, 3 high.")
    severity_name: str
    subject_key: str
    client: int | None = Field(..., alias="client_id")
    client_name: str | None
    project: int | None = Field(..., alias="project_id")
    project_name: str | None
    pm: int | None = Field(..., alias="pm_id")
    pm_name: str | None
    owner: int | None = Field(..., alias="owner_id", description="Who should act.")
    owner_name: str | None
    title: str
    evidence: dict[str, Any] = Field(..., description="The numbers behind the alert.")
    playbook: list[str] = Field(..., description="Suggested steps, in words.")
    status: str
    opened_at: dt.datetime
    snoozed_until: dt.datetime | None
    resolved_at: dt.datetime | None
    dismissed_reason: str
    escalated_at: dt.datetime | None = Field(..., description="When it went to the director.")
    last_evaluated_at: dt.datetime

    @staticmethod
    def resolve_rule_name(obj: Alert) -> str:
        return obj.get_rule_display()

    @staticmethod
    def resolve_severity_name(obj: Alert) -> str:
        return obj.get_severity_display()

    @staticmethod
    def resolve_client_name(obj: Alert) -> str | None:
        return obj.client.name if obj.client else None

    @staticmethod
    def resolve_project_name(obj: Alert) -> str | None:
        return obj.project.name if obj.project else None

    @staticmethod
    def resolve_pm_name(obj: Alert) -> str | None:
        return _name(obj.pm)

    @staticmethod
    def resolve_owner_name(obj: Alert) -> str | None:
        return _name(obj.owner)


class TransitionOut(Schema):
    at: dt.datetime
    actor: int | None = Field(..., alias="actor_id", description="Empty: the system.")
    actor_name: str | None
    from_status: str = Field(..., description="Empty when the alert was opened.")
    to_status: str
    note: str

    @staticmethod
    def resolve_actor_name(obj: AlertTransition) -> str | None:
        return _name(obj.actor)


class AlertDetailOut(AlertOut):
    transitions: list[TransitionOut] = Field(..., description="Every change, oldest first.")

    @staticmethod
    def resolve_transitions(obj: Alert) -> list[AlertTransition]:
        return list(obj.transitions.all())  # prefetched


StatusParam = Literal["open", "acknowledged", "snoozed", "resolved", "dismissed", "all"]


class AlertQuery(Schema):
    q: str | None = Field(None, description="Search in the title and the client's name.")
    status: StatusParam | None = Field(
        None,
        description="One status, or `all`; left out: the live ones (open, acknowledged, snoozed).",
    )
    severity: Severity | None = Field(None, description="1 low, 2 medium, 3 high.")
    rule: Rule | None = None
    client: Id | None = Field(None, description="A client's alerts and its projects'.")
    owner: Literal["mine"] | None = Field(None, description="`mine`: the alerts you own.")
    pm: Id | None = Field(None, description="The user id of the PM the alert is about.")


class SnoozeIn(In):
    until: AwareDatetime = Field(
        ..., description="With its offset, e.g. +01:00 or Z; in the future, at most 90 days."
    )


class ResolveIn(In):
    note: str = Field("", max_length=300, description="What was done; optional.")


class DismissIn(In):
    reason: str = Field(..., min_length=1, max_length=300, description="Why it does not apply.")


def alert_queryset(user: User) -> QuerySet[Alert]:
    return with_subjects(Alert.objects.visible_to(user))


def _detail(user: User, alert_id: int) -> Alert:
    transitions = AlertTransition.objects.select_related("actor").order_by("at", "id")
    queryset = alert_queryset(user).prefetch_related(Prefetch("transitions", transitions))
    return get_visible(queryset, alert_id)


@router.get("", response=list[AlertOut])
@paginated
def alert_list(request: HttpRequest, filters: Query[AlertQuery]) -> QuerySet[Alert]:
    """Alerts you may see, live ones unless `status` says otherwise, in the order raised."""
    user = current_user(request)
    # `owner=mine` names the user making the request, which the shared filterset reads from
    # the request of an HTML page.
    params = filters.model_copy(update={"owner": None})
    rows = filter_list(AlertFilter, params, alert_queryset(user))
    return rows.filter(owner=user) if filters.owner == "mine" else rows


@router.get("/{int:alert_id}", response=AlertDetailOut)
def alert_read(request: HttpRequest, alert_id: int) -> Alert:
    return _detail(current_user(request), alert_id)


@router.post("/{int:alert_id}/acknowledge", response=AlertDetailOut)
def alert_acknowledge(request: HttpRequest, alert_id: int) -> Alert:
    """You have seen it and are on it."""
    user = current_user(request)
    alert = get_editable(user, Alert.objects.all(), alert_id)
    if alert.status == Status.ACKNOWLEDGED:
        raise ValidationError({"status": "This alert is acknowledged already."})
    services.alert_acknowledge(alert=alert, actor=user, now=timezone.now())
    return _detail(user, alert_id)


@router.post("/{int:alert_id}/snooze", response=AlertDetailOut)
def alert_snooze(request: HttpRequest, alert_id: int, payload: SnoozeIn) -> Alert:
    """Out of sight until then; it reopens if its condition still holds."""
    user = current_user(request)
    alert = get_editable(user, Alert.objects.all(), alert_id)
    services.alert_snooze(alert=alert, actor=user, until=payload.until, now=timezone.now())
    return _detail(user, alert_id)


@router.post("/{int:alert_id}/resolve", response=AlertDetailOut)
def alert_resolve(request: HttpRequest, alert_id: int, payload: ResolveIn) -> Alert:
    user = current_user(request)
    alert = get_editable(user, Alert.objects.all(), alert_id)
    services.alert_resolve(alert=alert, actor=user, now=timezone.now(), note=payload.note)
    return _detail(user, alert_id)


@router.post("/{int:alert_id}/dismiss", response=AlertDetailOut)
def alert_dismiss(request: HttpRequest, alert_id: int, payload: DismissIn) -> Alert:
    """It does not apply; it stays dismissed until its condition clears and comes back."""
    user = current_user(request)
    alert = get_editable(user, Alert.objects.all(), alert_id)
    services.alert_dismiss(alert=alert, actor=user, reason=payload.reason, now=timezone.now())
    return _detail(user, alert_id)
