"""The voice rule: a detractor's response (0–6), or a contact's score falling by the policy's
points or more since their previous response, opens an alert for the account lead, with the
verbatim reason. One alert per contact, from their latest response in the policy's
`surveys.alert_days`; like the other rules, one query over every contact at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, F, OuterRef, Q, Subquery

from twohats.alerts.models import Rule, Severity
from twohats.alerts.services import Finding
from twohats.surveys.models import Answer, Construct, Response

if TYPE_CHECKING:
    from twohats.alerts.rules import Context

DETRACTOR_MAX = 6
# A score this low is a strong detractor: the alert is high.
SEVERE_AT_OR_BELOW = 4

PLAYBOOK = [
    "Call the contact within 2 business days",
    "Listen to the reason and agree one concrete step with them; log the call",
    "Tell the PM and your director what you heard and what you agreed",
]


def detractors(ctx: Context) -> dict[str, list[Finding]]:
    settings = ctx.surveys
    scored = Response.objects.filter(nps__isnull=False, submitted_at__lte=ctx.now)
    earlier = scored.filter(contact=OuterRef("contact")).filter(
        Q(submitted_at__lt=OuterRef("submitted_at"))
        | Q(submitted_at=OuterRef("submitted_at"), id__lt=OuterRef("id"))
    )
    later = scored.filter(contact=OuterRef("contact")).filter(
        Q(submitted_at__gt=OuterRef("submitted_at"))
        | Q(submitted_at=OuterRef("submitted_at"), id__gt=OuterRef("id"))
    )
    reason = (
        Answer.objects.filter(response=OuterRef("pk"), question__construct=Construct.REASON)
        .exclude(text="")
        .order_by("question__position")
        .values("text")[:1]
    )
    rows = (
        scored.filter(submitted_at__gte=ctx.ago(settings.alert_days))
        .annotate(
            previous=Subquery(earlier.order_by("-submitted_at", "-id").values("nps")[:1]),
            reason=Subquery(reason),
        )
        .filter(~Exists(later))
        .filter(Q(nps__lte=DETRACTOR_MAX) | Q(previous__gte=F("nps") + settings.nps_fall_points))
        .values(
            "id",
            "client_id",
            "contact_id",
            "contact__first_name",
            "contact__last_name",
            "project_id",
            "project__name",
            "nps",
            "previous",
            "reason",
            "submitted_at",
        )
        .order_by("submitted_at", "id")
    )
    findings = []
    for row in rows:
        account = ctx.accounts.get(row["client_id"])
        if account is None:
            continue
        nps, previous = row["nps"], row["previous"]
        contact = f"{row['contact__first_name']} {row['contact__last_name']}"
        detractor = nps <= DETRACTOR_MAX
        words = f"{contact} scored {nps}/10"
        if previous is not None and previous - nps >= settings.nps_fall_points:
            words += f", down from {previous}"
        if detractor:
            words += " (a detractor)"
        findings.append(
            account.finding(
                Rule.DETRACTOR,
                Severity.HIGH if nps <= SEVERE_AT_OR_BELOW else Severity.MEDIUM,
                words,
                {
                    "nps": nps,
                    "previous": previous,
                    "detractor": detractor,
                    "policy_fall_points": settings.nps_fall_points,
                    "reason": row["reason"] or "",
                    "contact_id": row["contact_id"],
                    "contact": contact,
                    "project_id": row["project_id"],
                    "project": row["project__name"],
                    "response_id": row["id"],
                    "submitted_at": row["submitted_at"].isoformat(),
                },
                PLAYBOOK,
                subject=f"contact:{row['contact_id']}",
            )
        )
    return {Rule.DETRACTOR: findings}
