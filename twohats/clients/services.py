"""What follows a write of a client or contact (the writes themselves go through
`twohats.writes`).

Continuity right away: when a client's primary representative changes, or the representative
leaves or is archived, the continuity rule runs for that client once the write is committed,
rather than at the next daily run, so the account lead hears of a poorly fitting new
representative (or of nobody speaking for the client) the same day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from functools import partial
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from twohats.clients.models import Client, Contact

if TYPE_CHECKING:
    from twohats.alerts.services import Evaluated

logger = logging.getLogger(__name__)


def continuity_evaluate(
    client_ids: Collection[int], *, now: dt.datetime | None = None
) -> Evaluated:
    """Run the continuity rule for these clients only and reconcile their continuity alerts
    (others are left as they are). The accounts are read as the daily run reads them: not
    archived, not former clients."""
    from twohats.alerts.continuity import continuity
    from twohats.alerts.rules import Account, Context
    from twohats.alerts.services import alerts_apply
    from twohats.health.models import HealthPolicy

    now = now or timezone.now()
    ids = sorted(set(client_ids))
    policy = HealthPolicy.objects.active().rules
    # As `twohats.alerts.rules.accounts`, for these clients.
    rows = Client.objects.filter(pk__in=ids, archived_at__isnull=True).exclude(status="former")
    accounts = {
        row[0]: Account(*row)
        for row in rows.values_list(
            "id", "name", "tier", "account_lead_id", "created_at", "primary_contact_id"
        )
    }
    ctx = Context(
        now=now,
        today=timezone.localdate(now),
        rules=policy.rules,
        accounts=accounts,
        delivery=policy.delivery,
        surveys=policy.surveys,
    )
    found = continuity(ctx, client_ids=ids)
    return alerts_apply(
        rules=list(found),
        findings=[f for fs in found.values() for f in fs],
        now=now,
        client_ids=ids,
    )


def continuity_on_commit(client_id: int) -> None:
    """Evaluate the client's continuity once the current transaction commits (at once outside
    one). A failure there is logged, not raised: the write it follows stands, and the daily
    run evaluates again."""
    transaction.on_commit(partial(continuity_evaluate, [client_id]), robust=True)


def contact_state(pk: int) -> tuple[dt.date | None, dt.datetime | None]:
    """(left_on, archived_at) of a contact, read before a write that may change them."""
    row = Contact.objects.filter(pk=pk).values_list("left_on", "archived_at").first()
    return row if row is not None else (None, None)


def client_updated(client: Client, *, primary_before: int | None) -> None:
    """After a client's update: a new (or no) primary representative is evaluated now."""
    if client.primary_contact_id != primary_before:
        continuity_on_commit(client.pk)


def contact_updated(
    contact: Contact,
    *,
    left_on_before: dt.date | None,
    archived_at_before: dt.datetime | None,
) -> None:
    """After a contact's update, archiving or restoring: if they are their client's primary
    representative and left, came back, or were archived or restored, evaluate the client."""
    changed = (contact.left_on, contact.archived_at) != (left_on_before, archived_at_before)
    if changed and Client.objects.filter(pk=contact.client_id, primary_contact=contact).exists():
        continuity_on_commit(contact.client_id)
