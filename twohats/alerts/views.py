"""The alerts pages: the list, an alert with its actions, and a client's open alerts.

Actions are small forms that work with and without JavaScript: with HTMX the action panel and
the history are swapped in place; without it the form posts and the page reloads."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_POST

from twohats.alerts import services
from twohats.alerts.filters import AlertFilter, alert_rows
from twohats.alerts.forms import AcknowledgeForm, DismissForm, ResolveForm, SnoozeForm
from twohats.alerts.models import Alert, AlertTransition, Status
from twohats.clients.models import Client
from twohats.people.models import User
from twohats.web import can_edit, get_editable, get_visible, list_page, user_of

COLUMNS = [
    ("id", lambda a: a.pk),
    ("severity", lambda a: a.get_severity_display()),
    ("kind", lambda a: a.get_rule_display()),
    ("title", lambda a: a.title),
    ("client", lambda a: a.client.name if a.client else ""),
    ("project", lambda a: a.project.name if a.project else ""),
    ("pm", lambda a: a.pm or ""),
    ("owner", lambda a: a.owner or ""),
    ("status", lambda a: a.get_status_display()),
    ("opened at", lambda a: a.opened_at),
    ("snoozed until", lambda a: a.snoozed_until),
    ("resolved at", lambda a: a.resolved_at),
    ("dismissed reason", lambda a: a.dismissed_reason),
    ("escalated at", lambda a: a.escalated_at),
    ("evidence", lambda a: "; ".join(f"{label}: {value}" for label, value in evidence_items(a))),
]

CLIENT_LIMIT = 10


@login_required
def alert_list(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    filterset = AlertFilter(request.GET, queryset=alert_rows(user), request=request)
    client_id = request.GET.get("client", "")
    of_client = None
    if client_id.isdigit():
        of_client = Client.objects.visible_to(user).filter(pk=int(client_id)).first()
    return list_page(
        request,
        filterset=filterset,
        template="alerts/alert_list.html",
        columns=COLUMNS,
        filename="alerts",
        context={"of_client": of_client, "now": timezone.now()},
    )


# ---------------------------------------------------------------------------------------------
# One alert


def alert_detail_context(
    request: HttpRequest, alert: Alert, **forms_: forms.Form
) -> dict[str, Any]:
    """What the alert page and its action panel show; `forms_` replaces a blank action form."""
    now = timezone.now()
    may_act = alert.is_live and can_edit(Alert, request, alert.pk)
    blank: dict[str, forms.Form] = {
        "acknowledge_form": AcknowledgeForm(auto_id="acknowledge_%s"),
        "snooze_form": SnoozeForm(auto_id="snooze_%s", now=now),
        "resolve_form": ResolveForm(auto_id="resolve_%s"),
        "dismiss_form": DismissForm(auto_id="dismiss_%s"),
    }
    return {
        "alert": alert,
        "evidence": evidence_items(alert),
        "transitions": transitions_of(alert),
        "may_act": may_act,
        "read_only": user_of(request).is_read_only,
        "now": now,
        **blank,
        **forms_,
    }


def transitions_of(alert: Alert) -> list[AlertTransition]:
    return list(alert.transitions.select_related("actor").order_by("at", "id"))


def _alert(request: HttpRequest, pk: int, get: Callable[..., Alert]) -> Alert:
    return get(Alert, request, pk, "client", "project", "pm", "owner")


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = _alert(request, pk, get_visible)
    return render(request, "alerts/alert_detail.html", alert_detail_context(request, alert))


def _act(action: str, alert: Alert, actor: User, data: dict[str, Any], now: dt.datetime) -> Alert:
    if action == "acknowledge":
        if alert.status == Status.ACKNOWLEDGED:
            raise ValidationError({"status": "This alert is acknowledged already."})
        return services.alert_acknowledge(alert=alert, actor=actor, now=now)
    if action == "snooze":
        return services.alert_snooze(alert=alert, actor=actor, until=data["until"], now=now)
    if action == "resolve":
        return services.alert_resolve(alert=alert, actor=actor, now=now, note=data["note"])
    return services.alert_dismiss(alert=alert, actor=actor, reason=data["reason"], now=now)


DONE = {
    "acknowledge": "Alert acknowledged.",
    "snooze": "Alert snoozed.",
    "resolve": "Alert resolved.",
    "dismiss": "Alert dismissed.",
}


def _action_form(action: str, request: HttpRequest, now: dt.datetime) -> forms.Form:
    auto_id = f"{action}_%s"
    if action == "acknowledge":
        return AcknowledgeForm(request.POST, auto_id=auto_id)
    if action == "snooze":
        return SnoozeForm(request.POST, auto_id=auto_id, now=now)
    if action == "resolve":
        return ResolveForm(request.POST, auto_id=auto_id)
    return DismissForm(request.POST, auto_id=auto_id)


@login_required
@require_POST
def alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Acknowledge, snooze, resolve or dismiss: 404 for an alert the user may not see, 403 for
    one they may only see; bad input (or an alert already closed) changes nothing."""
    alert = _alert(request, pk, get_editable)
    now = timezone.now()
    form = _action_form(action, request, now)
    if form.is_valid():
        try:
            _act(action, alert, user_of(request), form.cleaned_data, now)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                messages.success(request, DONE[action])
                return redirect(alert.get_absolute_url())
            context = alert_detail_context(request, _alert(request, pk, get_visible))
            context["done"] = DONE[action]
            return render(request, "alerts/_action_result.html", context)
    # Nothing changed: the same page or panel, with the form's errors.
    context = alert_detail_context(request, alert, **{f"{action}_form": form})
    hidden = [error for field in form.hidden_fields() for error in field.errors]
    context["problems"] = [*form.non_field_errors(), *hidden]
    template = "alerts/_action_result.html" if request.htmx else "alerts/alert_detail.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=422)


# ---------------------------------------------------------------------------------------------
# A client's open alerts


@login_required
def client_alerts(request: HttpRequest, pk: int) -> HttpResponse:
    """The live alerts of a client and of its projects: loaded into the client page, or a page
    of its own without JavaScript."""
    client = get_visible(Client, request, pk)
    alerts = (
        Alert.objects.visible_to(user_of(request))
        .live()
        .filter(Q(client=client) | Q(project__client=client))
        .select_related("project")
        .only("id", "rule", "severity", "title", "status", "opened_at", "project__name")
        .order_by("-severity", "opened_at", "id")
    )
    shown = list(alerts[: CLIENT_LIMIT + 1])
    context = {
        "client": client,
        "alerts": shown[:CLIENT_LIMIT],
        "more": len(shown) > CLIENT_LIMIT,
        "now": timezone.now(),
    }
    template = "alerts/_client_alerts.html" if request.htmx else "alerts/client_alerts.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# ---------------------------------------------------------------------------------------------
# Evidence in words


def evidence_items(alert: Alert) -> list[tuple[str, str]]:
    """The numbers behind an alert as (label, value) pairs, in the order the rule gave them."""
    evidence = alert.evidence
    if not evidence:
        return []
    if not isinstance(evidence, dict):
        return [("Details", _value("", evidence))]
    return [(_label(key), _value(str(key), value)) for key, value in evidence.items()]


def _label(key: Any) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _number(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _value(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and "share" in key and 0 <= value <= 1:
        return f"{_number(value * 100)} %"  # shares are stored as fractions
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str) and ISO_DATE.match(value):
        return _moment(value)
    if isinstance(value, list | tuple):
        return ", ".join(_value(key, item) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k).lower()}: {_value(str(k), v)}" for k, v in value.items())
    return str(value)


ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _moment(text: str) -> str:
    """An ISO date or time from the evidence, in the reader's time zone."""
    try:
        day = parse_date(text) if len(text) == 10 else None
        moment = None if day else parse_datetime(text)
    except ValueError:  # shaped like a date but not one
        return text
    if moment is not None:
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return f"{moment:%a} {moment.day} {moment:%b %Y, %H:%M}"
    return f"{day:%a} {day.day} {day:%b %Y}" if day else text
