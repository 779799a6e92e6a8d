"""The surveys' part of the daily job: invitations on the cadence and on milestones, the one
reminder, and thinning the rate-limit counters.

Each step is idempotent for a day (and beyond): a contact invited is not due again within the
cadence, a milestone invites once, an invitation is reminded once. Who is due is chosen in one
query per step; the invitations themselves go through `invitation_create`, which checks the
policy's spacing and opt-outs again under a lock on the contact."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from twohats.clients.models import HIGH, Contact
from twohats.projects.models import Milestone, Project, ProjectStatus
from twohats.surveys import ratelimit
from twohats.surveys.models import Invitation, SurveyOptOut, Trigger
from twohats.surveys.services import (
    invitation_create,
    invitation_remind,
    invitation_revoke,
    invitation_send,
)

logger = logging.getLogger(__name__)

CADENCE_FAMILY = "nps"
MILESTONE_FAMILY = "csat"
# A sent, unanswered invitation is reminded once, this long after it was sent.
REMIND_AFTER = dt.timedelta(days=7)
# How far back a milestone's completion or acceptance is looked for when there is no earlier
# run to go by, and at most (a long pause does not flood clients with old milestones).
MILESTONE_LOOKBACK_DAYS = 1
MILESTONE_LOOKBACK_MAX_DAYS = 14
DAY = dt.timedelta(days=1)


@dataclass
class Done:
    invited: int = 0
    skipped: int = 0
    failed: int = 0


def cadence_days() -> int:
    from twohats.health.models import HealthPolicy

    surveys: Any = getattr(HealthPolicy.objects.active().rules, "surveys", None)
    return int(getattr(surveys, "cadence_days", 91))


def _invite_and_send(
    *,
    project: Project,
    contact: Contact,
    family: str,
    trigger: str,
    milestone: Milestone | None,
    now: dt.datetime,
    done: Done,
) -> None:
    try:
        invitation, token = invitation_create(
            project=project,
            contact=contact,
            template_family=family,
            actor=None,
            trigger=trigger,
            milestone=milestone,
            now=now,
        )
    except ValidationError:
        # Invited too recently, opted out meanwhile, no email address: left out, silently.
        done.skipped += 1
        return
    try:
        invitation_send(invitation, token, now=now)
    except Exception:
        # Unsent, the invitation is withdrawn (a revoked one does not count against the
        # spacing), so the next day tries again.
        logger.exception("survey invitation %s to %s not sent", invitation.pk, contact.pk)
        invitation_revoke(invitation, actor=None, now=now)
        done.failed += 1
        return
    done.invited += 1


def _reachable(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    """Contacts still at the client, with an email address, who have not opted out."""
    return (
        contacts.filter(archived_at__isnull=True, left_on__isnull=True)
        .exclude(email="")
        .filter(~Exists(SurveyOptOut.objects.filter(contact=OuterRef("pk"))))
    )


def cadence_due(*, now: dt.datetime) -> QuerySet[Contact]:
    """The contacts due an invitation on the cadence, each with the project to ask about
    (`due_project_id`, their client's most recently started active project): the client's
    primary representative and contacts of high power, at a client with an active project,
    with no invitation (revoked ones aside) within the cadence."""
    active = Project.objects.filter(
        archived_at__isnull=True, status=ProjectStatus.ACTIVE, client__archived_at__isnull=True
    )
    recent = Invitation.objects.filter(
        contact=OuterRef("pk"),
        revoked_at__isnull=True,
        created_at__gt=now - dt.timedelta(days=cadence_days()),
    )
    project = active.filter(client=OuterRef("client")).order_by("-start_date", "-pk").values("pk")
    return (
        _reachable(Contact.objects.all())
        .filter(Q(client__primary_contact=F("pk")) | Q(power__gte=HIGH))
        .filter(~Exists(recent))
        .annotate(due_project_id=Subquery(project[:1]))
        .filter(due_project_id__isnull=False)
        .order_by("pk")
    )


def cadence_invite(*, now: dt.datetime) -> Done:
    done = Done()
    due = list(cadence_due(now=now))
    projects = Project.objects.in_bulk([c.due_project_id for c in due])  # type: ignore[attr-defined]
    for contact in due:
        _invite_and_send(
            project=projects[contact.due_project_id],  # type: ignore[attr-defined]
            contact=contact,
            family=CADENCE_FAMILY,
            trigger=Trigger.CADENCE,
            milestone=None,
            now=now,
            done=done,
        )
    return done


def milestones_due(*, since: dt.date, now: dt.datetime) -> QuerySet[Milestone]:
    """Milestones completed or accepted on or after `since` (up to `now`), of projects not
    archived nor cancelled, that have not invited anyone yet."""
    from twohats.health.tasks import firm_zone

    invited = Invitation.objects.filter(milestone=OuterRef("pk"), trigger=Trigger.MILESTONE)
    start = dt.datetime.combine(since, dt.time.min, tzinfo=firm_zone())
    return (
        Milestone.objects.filter(
            project__archived_at__isnull=True,
            project__status__in=[ProjectStatus.ACTIVE, ProjectStatus.COMPLETED],
        )
        .filter(
            Q(actual_date__gte=since, actual_date__lte=now.date())
            | Q(accepted_at__gte=start, accepted_at__lte=now)
        )
        .filter(~Exists(invited))
        .select_related("project__client__primary_contact", "accepted_by")
        .order_by("pk")
    )


def milestones_invite(*, since: dt.date, now: dt.datetime) -> Done:
    """Each milestone done since `since` invites the contact who accepted it (else the client's
    primary representative) to the CSAT survey, once; within the policy's spacing it is
    skipped."""
    done = Done()
    for milestone in milestones_due(since=since, now=now):
        contact = milestone.accepted_by or milestone.project.client.primary_contact
        if contact is None:
            done.skipped += 1
            continue
        _invite_and_send(
            project=milestone.project,
            contact=contact,
            family=MILESTONE_FAMILY,
            trigger=Trigger.MILESTONE,
            milestone=milestone,
            now=now,
            done=done,
        )
    return done


def reminders_due(*, now: dt.datetime) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(
            sent_at__lte=now - REMIND_AFTER,
            reminded_at__isnull=True,
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .filter(~Exists(SurveyOptOut.objects.filter(contact=OuterRef("contact"))))
        .order_by("pk")
    )


def reminders_send(*, now: dt.datetime) -> dict[str, int]:
    sent = skipped = failed = 0
    for invitation in reminders_due(now=now):
        try:
            invitation_remind(invitation, now=now)
        except ValidationError:  # answered, revoked or reminded meanwhile
            skipped += 1
        except Exception:
            logger.exception("survey reminder for invitation %s not sent", invitation.pk)
            failed += 1
        else:
            sent += 1
    return {"sent": sent, "skipped": skipped, "failed": failed}


def milestones_since(*, today: dt.date) -> dt.date:
    """The first day to look at for milestones: the day of the last daily run before today
    (a milestone done later that day was not seen by it), else yesterday; never more than
    `MILESTONE_LOOKBACK_MAX_DAYS` back."""
    from twohats.health.models import JobRun
    from twohats.health.tasks import DAILY

    last = (
        JobRun.objects.filter(
            job=DAILY,
            subject_key="",
            period__lt=today.isoformat(),
            outcome__in=[JobRun.Outcome.OK, JobRun.Outcome.FAILED],
        )
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    since = dt.date.fromisoformat(last) if last else today - MILESTONE_LOOKBACK_DAYS * DAY
    return max(since, today - MILESTONE_LOOKBACK_MAX_DAYS * DAY)


def surveys_daily(*, today: dt.date, now: dt.datetime, email: bool = True) -> dict[str, Any]:
    """The daily surveys step: a flat summary for the job's log (`failed` marks emails that
    could not be sent). Without `email` only the counters are thinned."""
    summary: dict[str, Any] = {}
    if email:
        cadence = cadence_invite(now=now)
        milestones = milestones_invite(since=milestones_since(today=today), now=now)
        reminders = reminders_send(now=now)
        summary.update({f"cadence_{key}": value for key, value in asdict(cadence).items()})
        summary.update({f"milestone_{key}": value for key, value in asdict(milestones).items()})
        summary.update({f"reminder_{key}": value for key, value in reminders.items()})
        summary["failed"] = cadence.failed + milestones.failed + reminders["failed"]
    summary["counters_pruned"] = ratelimit.counters_prune(now=now)
    return summary
