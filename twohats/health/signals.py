"""Raw health signals for every client (or project) at once, measured with SQL aggregates.

Each group of signals is one or two GROUP BY queries over indexed columns, as of the end of a
date; nothing here loops over interactions in Python. `measure()` returns, per subject id, the
readings that have data; a subject without data for a signal simply has no reading for it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Avg, Count, F, FloatField, Max, Q, Sum
from django.db.models.functions import Cast

from twohats.clients.models import HIGH, Client, Contact
from twohats.growth.models import OPEN_STAGES, Opportunity, Stage
from twohats.health import delivery, voice
from twohats.health.policy import Delivery, PolicyConfig, Surveys
from twohats.health.scoring import Describe, Reading
from twohats.interactions.models import Channel, ClientRequest, Interaction
from twohats.projects.models import Project, ProjectStatus

# A presence gap longer than this reads as this many days.
PRESENCE_HORIZON_DAYS = 365

Readings = dict[int, dict[str, Reading]]


@dataclass(frozen=True)
class Window:
    """As of the end of `date`: `end` is the first instant of the next day."""

    date: dt.date
    end: dt.datetime

    def days_back(self, days: int) -> dt.datetime:
        return self.end - dt.timedelta(days=days)


def measure(subject: str, window: Window, policy: PolicyConfig | None = None) -> Readings:
    """Every signal's readings for all clients (subject "client") or projects ("project")."""
    key = "client_id" if subject == "client" else "project_id"
    readings: Readings = defaultdict(dict)
    settings = policy.delivery if policy is not None else Delivery()
    groups = [
        group(key, window) for group in (presence_and_sentiment, coverage, responsiveness, growth)
    ]
    groups.append(delivery.measure(key, window, settings))
    groups.append(voice.measure(key, window, policy.surveys if policy is not None else Surveys()))
    for found in groups:
        for subject_id, values in found.items():
            readings[subject_id].update(values)
    return readings


def presence_and_sentiment(key: str, w: Window) -> Readings:
    rows = (
        Interaction.objects.filter(
            occurred_at__gte=w.days_back(PRESENCE_HORIZON_DAYS), occurred_at__lt=w.end
        )
        .exclude(**{f"{key}__isnull": True})
        .values(key)
        .annotate(
            last_face_to_face=Max("occurred_at", filter=Q(channel=Channel.IN_PERSON)),
            recent=Count("id", filter=Q(occurred_at__gte=w.days_back(30))),
            mean_90=Avg(
                Cast("sentiment", FloatField()), filter=Q(occurred_at__gte=w.days_back(90))
            ),
            mean_30=Avg(
                Cast("sentiment", FloatField()), filter=Q(occurred_at__gte=w.days_back(30))
            ),
            mean_before=Avg(
                Cast("sentiment", FloatField()),
                filter=Q(occurred_at__gte=w.days_back(90), occurred_at__lt=w.days_back(30)),
            ),
        )
        .order_by()
    )
    out: Readings = defaultdict(dict)
    for row in rows:
        values = out[row[key]]
        last = row["last_face_to_face"]
        days = (w.end - last).total_seconds() // 86400 if last else PRESENCE_HORIZON_DAYS
        values["presence.days_since_face_to_face"] = Reading(float(days))
        values["presence.interactions_30d"] = Reading(float(row["recent"]))
        if row["mean_90"] is not None:
            values["sentiment.mean_90d"] = Reading(round(row["mean_90"], 6))
        if row["mean_30"] is not None and row["mean_before"] is not None:
            values["sentiment.trend_30d"] = Reading(round(row["mean_30"] - row["mean_before"], 6))
    return out


def _active_on(date: dt.date, end: dt.datetime) -> Q:
    """Contacts at the client on `date`: joined before it, not yet left, not archived."""
    return (
        Q(created_at__lt=end)
        & (Q(left_on__isnull=True) | Q(left_on__gt=date))
        & (Q(archived_at__isnull=True) | Q(archived_at__gte=end))
    )


def coverage(key: str, w: Window) -> Readings:
    # The client's powerful people; a project is judged against its client's.
    powerful = dict(
        Contact.objects.filter(_active_on(w.date, w.end), power__gte=HIGH)
        .values("client_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("client_id", "n")
    )
    Through = Interaction.contacts.through
    engaged = (
        Through.objects.filter(
            interaction__occurred_at__gte=w.days_back(90), interaction__occurred_at__lt=w.end
        )
        .exclude(**{f"interaction__{key}__isnull": True})
        .values(subject := f"interaction__{key}")
        .annotate(
            client=Max("interaction__client_id"),
            people=Count("contact_id", distinct=True),
            powerful=Count(
                "contact_id",
                distinct=True,
                filter=Q(contact__power__gte=HIGH)
                & (Q(contact__left_on__isnull=True) | Q(contact__left_on__gt=w.date)),
            ),
        )
        .order_by()
    )
    primaries = {
        row["id"]: row
        for row in Client.objects.values("id", "primary_contact_id", "primary_contact__left_on")
    }
    primary_engaged = set(
        Through.objects.filter(
            interaction__occurred_at__gte=w.days_back(90),
            interaction__occurred_at__lt=w.end,
            contact_id__in=Client.objects.filter(primary_contact__isnull=False).values(
                "primary_contact_id"
            ),
        )
        .exclude(**{f"interaction__{key}__isnull": True})
        .values_list(subject, "contact_id")
        .distinct()
    )
    out: Readings = defaultdict(dict)
    seen = set()
    for row in engaged:
        subject_id, client_id = row[subject], row["client"]
        seen.add(subject_id)
        values = out[subject_id]
        values["coverage.engaged_contacts_90d"] = Reading(float(row["people"]))
        total = powerful.get(client_id, 0)
        if total:
            values["coverage.high_power_engaged_share"] = Reading(
                round(min(row["powerful"], total) / total, 6),
                {"engaged": min(row["powerful"], total), "total": total},
            )
        values["coverage.representative_continuity"] = _continuity(
            primaries.get(client_id), subject_id, primary_engaged, w.date
        )
    if key == "client_id":
        # Clients nobody talked to in 90 days: nothing engaged, a reading of zero, not no data.
        for client_id, row in primaries.items():
            if client_id in seen:
                continue
            values = out[client_id]
            values["coverage.engaged_contacts_90d"] = Reading(0.0)
            if powerful.get(client_id):
                values["coverage.high_power_engaged_share"] = Reading(
                    0.0, {"engaged": 0, "total": powerful[client_id]}
                )
            values["coverage.representative_continuity"] = _continuity(
                row, client_id, primary_engaged, w.date
            )
    return out


def _continuity(
    row: Mapping[str, Any] | None,
    subject_id: int,
    engaged: set[tuple[int, int]],
    date: dt.date,
) -> Reading:
    """1 when the client's representative is there and engaged, ½ when there but not engaged in
    90 days, 0 when none is named or they left."""
    if not row or row["primary_contact_id"] is None:
        return Reading(0.0, {"state": "none"})
    left = row["primary_contact__left_on"]
    if isinstance(left, dt.date) and left <= date:
        return Reading(0.0, {"state": "left"})
    if (subject_id, row["primary_contact_id"]) in engaged:
        return Reading(1.0, {"state": "engaged"})
    return Reading(0.5, {"state": "quiet"})


MEDIAN_SQL = """
WITH answered AS (
    SELECT {key} AS subject,
           CAST(response_minutes AS DOUBLE PRECISION) / sla_minutes AS ratio,
           ROW_NUMBER() OVER (
               PARTITION BY {key}
               ORDER BY CAST(response_minutes AS DOUBLE PRECISION) / sla_minutes, id
           ) AS position,
           COUNT(*) OVER (PARTITION BY {key}) AS n
    FROM {table}
    WHERE raised_at >= %s AND raised_at < %s
      AND first_response_at < %s AND {key} IS NOT NULL
)
SELECT subject, AVG(ratio) FROM answered
WHERE position IN ((n + 1) / 2, (n + 2) / 2)
GROUP BY subject
"""


def responsiveness(key: str, w: Window) -> Readings:
    since = w.days_back(90)
    answered = Q(first_response_at__lt=w.end)
    late = (answered & Q(breached=True)) | (~answered & Q(due_at__lt=w.end))
    rows = (
        ClientRequest.objects.filter(raised_at__gte=since, raised_at__lt=w.end)
        .exclude(**{f"{key}__isnull": True})
        .values(key)
        .annotate(
            judged=Count("id", filter=answered | Q(due_at__lt=w.end)),
            late=Count("id", filter=late),
        )
        .order_by()
    )
    out: Readings = defaultdict(dict)
    for row in rows:
        if row["judged"]:
            out[row[key]]["responsiveness.breach_share_90d"] = Reading(
                round(row["late"] / row["judged"], 6),
                {"breached": row["late"], "judged": row["judged"]},
            )
    sql = MEDIAN_SQL.format(key=key, table=ClientRequest._meta.db_table)
    with connection.cursor() as cursor:
        # Raw SQL gets the datetimes as the database stores them (naive UTC text on SQLite).
        adapt = connection.ops.adapt_datetimefield_value
        cursor.execute(sql, [adapt(since), adapt(w.end), adapt(w.end)])
        for subject_id, median in cursor.fetchall():
            out[subject_id]["responsiveness.median_response_vs_sla"] = Reading(
                round(float(median), 6)
            )
    return out


def growth(key: str, w: Window) -> Readings:
    year_ago = w.date - dt.timedelta(days=365)
    pipeline = (
        Opportunity.objects.filter(identified_on__lte=w.date)
        .exclude(**{f"{key}__isnull": True})
        .values(key)
        .annotate(
            open_weighted=Sum(
                F("value") * F("probability") / 100.0,
                filter=Q(stage__in=OPEN_STAGES) | Q(closed_on__gt=w.date),
                output_field=FloatField(),
            ),
            won=Sum(
                "value",
                filter=Q(stage=Stage.WON, closed_on__gt=year_ago, closed_on__lte=w.date),
                output_field=FloatField(),
            ),
        )
        .order_by()
    )
    budgets = _active_budgets(key, w.date)
    out: Readings = defaultdict(dict)
    for row in pipeline:
        budget = budgets.get(row[key])
        if budget:
            value = float(row["open_weighted"] or 0) + float(row["won"] or 0)
            out[row[key]]["growth.pipeline_vs_budget"] = Reading(
                round(value / budget, 6), {"pipeline": round(value, 2), "budget": budget}
            )
    for subject_id, budget in budgets.items():
        if subject_id not in out:
            out[subject_id]["growth.pipeline_vs_budget"] = Reading(
                0.0, {"pipeline": 0, "budget": budget}
            )
    return out


def _active_budgets(key: str, date: dt.date) -> dict[int, float]:
    projects = Project.objects.filter(start_date__lte=date, end_date__gte=date).exclude(
        status=ProjectStatus.CANCELLED
    )
    if key == "project_id":
        rows: Iterable[tuple[int, Any]] = projects.values_list("id", "budget")
    else:
        rows = (
            projects.values("client_id")
            .annotate(total=Sum("budget"))
            .order_by()
            .values_list("client_id", "total")
        )
    return {subject_id: float(total) for subject_id, total in rows if total}


def _days(reading: Reading) -> str:
    return f"{reading.raw:.0f} day{'s' if reading.raw != 1 else ''}"


def _per_cent(value: float) -> str:
    return f"{value * 100:.0f} %"


DESCRIBE: dict[str, Describe] = {
    "presence.days_since_face_to_face": lambda r, good: (
        f"no face-to-face meeting in {_days(r)}; policy {good:.0f}"
        if r.raw < PRESENCE_HORIZON_DAYS
        else f"no face-to-face meeting in over a year; policy {good:.0f} days"
    ),
    "presence.interactions_30d": lambda r, good: (
        f"{r.raw:.0f} interaction{'s' if r.raw != 1 else ''} in 30 days; policy {good:.0f}"
    ),
    "coverage.high_power_engaged_share": lambda r, good: (
        f"{r.detail.get('engaged', 0)} of {r.detail.get('total', 0)} high-power contacts "
        f"engaged in 90 days; policy {_per_cent(good)}"
    ),
    "coverage.engaged_contacts_90d": lambda r, good: (
        f"{r.raw:.0f} contact{'s' if r.raw != 1 else ''} engaged in 90 days; policy {good:.0f}"
    ),
    "coverage.representative_continuity": lambda r, good: {
        "none": "no primary representative named",
        "left": "the primary representative has left",
        "quiet": "the primary representative was not engaged in 90 days",
    }.get(str(r.detail.get("state")), "the primary representative is not engaged"),
    "responsiveness.median_response_vs_sla": lambda r, good: (
        f"the median first response took {r.raw:.1f}× the SLA; policy {good:.1f}×"
    ),
    "responsiveness.breach_share_90d": lambda r, good: (
        f"{r.detail.get('breached', 0)} of {r.detail.get('judged', 0)} requests in 90 days "
        f"breached their SLA; policy {_per_cent(good)}"
    ),
    "sentiment.mean_90d": lambda r, good: (
        f"mean sentiment {r.raw:+.1f} over 90 days; policy {good:+.1f}"
    ),
    "sentiment.trend_30d": lambda r, good: (
        f"sentiment fell by {-r.raw:.1f} in 30 days against the 60 before"
        if r.raw < 0
        else f"sentiment trend {r.raw:+.1f}; policy {good:+.1f}"
    ),
    "growth.pipeline_vs_budget": lambda r, good: (
        f"open pipeline and wins of the last year are {_per_cent(r.raw)} of active budgets; "
        f"policy {_per_cent(good)}"
    ),
    **delivery.DESCRIBE,
    **voice.DESCRIBE,
}
