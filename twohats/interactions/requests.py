"""Client requests: log them, answer them, resolve them (the urgency strategy).

The deadline and the business-hours response time are computed here, when the row is written,
under the health policy that was active when the request was raised, and stored: analytics
aggregate the stored columns and never recompute business hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet, Value
from django.utils import timezone

from twohats.health.models import HealthPolicy
from twohats.interactions.models import ClientRequest, Priority
from twohats.lib.business_hours import add_business_minutes, business_minutes_between
from twohats.people.models import User
from twohats.writes import record_create, record_update

# Clocks differ a little between a phone and the server; beyond this a time is a typo.
CLOCK_SKEW = dt.timedelta(minutes=5)

# The fields that the deadline, the response time and the breach derive from.
TIMING_FIELDS = frozenset({"client", "priority", "raised_at", "first_response_at"})


def request_create(*, actor: User, fields: Mapping[str, Any]) -> ClientRequest:
    """Log a request; it is judged by the policy active now, for good."""
    if fields.get("client") is None:
        raise ValidationError({"client": "Say which client raised the request."})
    policy = HealthPolicy.objects.active()
    data: dict[str, Any] = {"logged_by": actor, "owner": actor, **fields, "policy": policy}
    draft = ClientRequest(**data)
    _check_times(draft)
    data |= _timings(draft, policy)
    return record_create(ClientRequest, actor=actor, fields=data)


def request_update(
    *,
    actor: User,
    request: ClientRequest,
    fields: Mapping[str, Any],
    expected_version: int | None = None,
) -> ClientRequest:
    """Change a request; a new priority or time of raising moves the deadline, under the
    request's own policy (not the one active now)."""
    data = dict(fields)
    data.pop("policy", None)  # a request keeps the policy it was raised under
    with transaction.atomic():
        current = _locked(request)
        if TIMING_FIELDS & data.keys():
            draft = _draft(current, data)
            _check_times(draft)
            data |= _timings(draft, current.policy)
        return record_update(current, actor=actor, fields=data, expected_version=expected_version)


def request_respond(
    *,
    actor: User,
    request: ClientRequest,
    at: dt.datetime,
    expected_version: int | None = None,
) -> ClientRequest:
    """Record the first response (again, to correct its time): its business-hours delay and
    whether it breached the SLA are stored with it."""
    with transaction.atomic():
        current = _locked(request)
        if current.resolved_at is not None and at > current.resolved_at:
            raise ValidationError(
                {"first_response_at": "The first response cannot come after the resolution."}
            )
        draft = _draft(current, {"first_response_at": at})
        _check_times(draft)
        fields = {"first_response_at": at, **_timings(draft, current.policy, deadline=False)}
        return record_update(current, actor=actor, fields=fields, expected_version=expected_version)


def request_resolve(
    *,
    actor: User,
    request: ClientRequest,
    at: dt.datetime,
    expected_version: int | None = None,
) -> ClientRequest:
    """Mark the request resolved; the first response must be on record and not later."""
    with transaction.atomic():
        current = _locked(request)
        _check_times(_draft(current, {"resolved_at": at}))
        return record_update(
            current, actor=actor, fields={"resolved_at": at}, expected_version=expected_version
        )


# ---------------------------------------------------------------------------------------------
# Reads


def awaiting(now: dt.datetime) -> Q:
    """Not answered yet and past its deadline."""
    return Q(first_response_at__isnull=True, due_at__lt=now)


def request_rows(queryset: QuerySet[ClientRequest], *, now: dt.datetime) -> QuerySet[ClientRequest]:
    """Requests with what lists show, in a fixed number of queries: the related names, whether
    each is overdue or missed its SLA, and the SLA and response time in hours and minutes."""
    return queryset.select_related(
        "client", "project", "raised_by", "owner", "logged_by", "policy"
    ).annotate(
        overdue=ExpressionWrapper(awaiting(now), output_field=BooleanField()),
        late=ExpressionWrapper(Q(breached=True) | awaiting(now), output_field=BooleanField()),
        # Integer division on both databases (SQLite's MOD would give a float).
        sla_hours=F("sla_minutes") / Value(60),
        sla_rest=F("sla_minutes") - F("sla_minutes") / Value(60) * Value(60),
        response_hours=F("response_minutes") / Value(60),
        response_rest=F("response_minutes") - F("response_minutes") / Value(60) * Value(60),
    )


def _locked(request: ClientRequest) -> ClientRequest:
    """The current row, locked until the end of the transaction, with what timings need."""
    return (
        ClientRequest.objects.select_for_update(of=("self",))
        .select_related("policy", "client")
        .get(pk=request.pk)
    )


def _draft(current: ClientRequest, changes: Mapping[str, Any]) -> ClientRequest:
    """The request as it would be after the changes, unsaved."""
    draft = ClientRequest(
        **{f.attname: getattr(current, f.attname) for f in ClientRequest._meta.concrete_fields}
    )
    draft.client = current.client
    for name, value in changes.items():
        setattr(draft, name, value)
    return draft


def _check_times(draft: ClientRequest) -> None:
    """Times must be given, in order, and not in the future."""
    errors: dict[str, str] = {}
    latest = timezone.now() + CLOCK_SKEW
    if draft.raised_at is None:
        errors["raised_at"] = "Say when the client raised the request."
    elif draft.raised_at > latest:
        errors["raised_at"] = "This time is in the future: say when the request was raised."
    if draft.first_response_at is not None:
        if draft.first_response_at > latest:
            errors["first_response_at"] = "This time is in the future: record a response made."
        elif draft.raised_at is not None and draft.first_response_at < draft.raised_at:
            errors["first_response_at"] = "The first response cannot come before the request."
    if draft.resolved_at is not None:
        if draft.resolved_at > latest:
            errors["resolved_at"] = "This time is in the future: record a resolution made."
        elif draft.first_response_at is None:
            errors["resolved_at"] = "Record the first response before the resolution."
        elif draft.resolved_at < draft.first_response_at:
            errors["resolved_at"] = "The resolution cannot come before the first response."
    if draft.priority not in Priority.values:
        errors["priority"] = f"Choose one of: {', '.join(Priority.values)}."
    if errors:
        raise ValidationError(errors)


def _timings(
    draft: ClientRequest, policy: HealthPolicy, *, deadline: bool = True
) -> dict[str, Any]:
    """The stored values that derive from the times, the priority and the client's zone."""
    rules = policy.rules
    zone = ZoneInfo(draft.client.time_zone)
    values: dict[str, Any] = {}
    sla = draft.sla_minutes
    if deadline:
        sla = rules.sla.minutes(draft.priority)
        values["sla_minutes"] = sla
        values["due_at"] = add_business_minutes(draft.raised_at, sla, rules.calendar, zone)
    if draft.first_response_at is None:
        values |= {"response_minutes": None, "breached": None}
    else:
        minutes = business_minutes_between(
            draft.raised_at, draft.first_response_at, rules.calendar, zone
        )
        values |= {"response_minutes": minutes, "breached": minutes > sla}
    return values
