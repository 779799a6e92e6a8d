"""Writes of staffing: opening a need, assigning a PM (the project's manager changes, with its
history kept), and recording a conflict."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from twohats.clients.models import Client
from twohats.matching.models import StaffingConflict, StaffingNeed
from twohats.matching.staffing import feasibility
from twohats.people.models import Practice, User
from twohats.projects.models import Project
from twohats.writes import record_update


def can_staff(user: User, need: StaffingNeed) -> bool:
    """Directors assign for the practices they lead (and, for a need naming no practice, on
    projects they may edit); admins for every practice."""
    if user.is_admin:
        return True
    if not user.is_director:
        return False
    if need.practice_id is not None:
        return bool(need.practice is not None and need.practice.lead_id == user.pk)
    return Project.objects.editable_by(user).filter(pk=need.project_id).exists()


def staffing_need_open(
    *, project: Project, by: User, hours: Decimal | float | None = None, practice: Practice | None
) -> StaffingNeed:
    """A project waits for a PM. Those who may edit the project open it (not executives)."""
    if not Project.objects.editable_by(by).filter(pk=project.pk).exists():
        raise PermissionDenied("Only those who may change the project open a staffing need.")
    load = Decimal(str(hours)) if hours is not None else project.pm_hours_per_week
    need = StaffingNeed(project=project, hours_per_week=load, practice=practice, opened_by=by)
    need.full_clean(exclude=["project"])
    try:
        with transaction.atomic():
            if StaffingNeed.objects.filter(project=project, filled_at__isnull=True).exists():
                raise ValidationError(f"{project} already has an open staffing need.")
            need.save()
    except IntegrityError as error:  # a concurrent opening won the race
        raise ValidationError(f"{project} already has an open staffing need.") from error
    return need


def staffing_assign(*, need: StaffingNeed, pm: User, by: User) -> StaffingNeed:
    """Put `pm` on the need's project: the project's manager (and its PM load) change through
    the audited write, and the need is marked filled. Refuses a PM who breaks a hard
    constraint, saying which. The need's row, then the PM's user row, are locked first, so
    concurrent assignments of one need or of one PM take turns and each sees the other's
    load."""
    if not can_staff(by, need):
        raise PermissionDenied(
            "Only the director of the need's practice or an administrator assigns a PM."
        )
    with transaction.atomic():
        need = (
            StaffingNeed.objects.select_for_update(of=("self",))
            .select_related("project", "practice")
            .get(pk=need.pk)
        )
        if need.filled_at is not None:
            raise ValidationError("This staffing need is already filled.")
        # Lock the PM before reading their load: two needs assigned to the same PM at once
        # would otherwise both see the hours free and together exceed them.
        pm = User.objects.select_for_update().get(pk=pm.pk)
        hours = float(need.hours_per_week)
        reasons = feasibility(pm, need.project, hours=hours, practice=need.practice)
        if reasons:
            raise ValidationError(f"{pm} cannot run {need.project}: {'; '.join(reasons)}.")
        record_update(
            need.project,
            actor=by,
            fields={"manager": pm, "pm_hours_per_week": need.hours_per_week},
        )
        need.assigned = pm
        need.filled_by = by
        need.filled_at = timezone.now()
        need.save(update_fields=["assigned", "filled_by", "filled_at"])
    return need


def staffing_conflict_record(
    *, user: User, client: Client, by: User, reason: str
) -> StaffingConflict:
    """A PM who must not work for a client. Directors (for clients they may see) and admins."""
    if not (by.is_admin or by.is_director):
        raise PermissionDenied("Only a director or an administrator records a staffing conflict.")
    if not by.is_admin and not Client.objects.visible_to(by).filter(pk=client.pk).exists():
        raise PermissionDenied("You may not record conflicts for this client.")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the PM must not work for this client."})
    conflict, _ = StaffingConflict.objects.update_or_create(
        user=user, client=client, defaults={"reason": reason[:200], "recorded_by": by}
    )
    return conflict
