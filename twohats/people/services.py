from __future__ import annotations

import datetime as dt

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from twohats.clients.models import Client
from twohats.people.models import ApiToken, User, WorkdayLocation

MAX_RANGE_DAYS = 366


def workday_set_range(
    *,
    actor: User,
    user: User,
    start: dt.date,
    end: dt.date,
    kind: str,
    client: Client | None = None,
    note: str = "",
    include_weekends: bool = False,
) -> list[WorkdayLocation]:
    """Record where `user` worked on each day from start to end, replacing what was there."""
    if end < start:
        raise ValidationError({"end": "The last day must not be before the first day."})
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationError({"end": f"Enter at most {MAX_RANGE_DAYS} days at once."})
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if not include_weekends:
        days = [day for day in days if day.weekday() < 5]
    if not days:
        raise ValidationError({"end": "The range holds no working day."})
    saved = []
    with set_actor(actor), transaction.atomic():
        existing = {
            row.date: row
            for row in WorkdayLocation.objects.select_for_update().filter(user=user, date__in=days)
        }
        for day in days:
            row = existing.get(day) or WorkdayLocation(user=user, date=day)
            row.kind, row.client, row.note = kind, client, note
            row.full_clean()
            row.save()
            saved.append(row)
    return saved


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the script that uses it."})
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name[:80], hint=raw[: len(ApiToken.PREFIX) + 4], digest=ApiToken.hash(raw)
    )
    return token, raw


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token


def api_token_authenticate(raw: str) -> User | None:
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(digest=ApiToken.hash(raw), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Write the last-use time at most once a minute per token.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
