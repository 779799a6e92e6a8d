from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from twohats.clients.models import Contact
from twohats.interactions.models import Interaction
from twohats.people.models import NAME_FIELDS, User

TIMELINE_PAGE = 20


def timeline_queryset(queryset: QuerySet[Interaction]) -> QuerySet[Interaction]:
    """Interactions newest first, with everything the timeline shows in a fixed number of
    queries (three, whatever the number of rows)."""
    return (
        queryset.select_related("project", "logged_by", "next_step_owner", "client")
        .prefetch_related(
            # People are shown by name only.
            Prefetch("contacts", queryset=Contact.objects.only("id", "first_name", "last_name")),
            Prefetch("staff", queryset=User.objects.only(*NAME_FIELDS)),
        )
        .order_by("-occurred_at", "-id")
    )


def parse_cursor(value: str | None) -> tuple[dt.datetime, int] | None:
    """A timeline cursor is '<ISO time>_<id>' of the last item shown."""
    if not value:
        return None
    try:
        when, _, pk = value.rpartition("_")
        return dt.datetime.fromisoformat(when), int(pk)
    except ValueError:
        return None


def timeline_page(
    queryset: QuerySet[Interaction], *, cursor: str | None = None, size: int = TIMELINE_PAGE
) -> dict[str, Any]:
    """One page of a timeline by keyset (stable under inserts; constant cost at any depth)."""
    after = parse_cursor(cursor)
    if after is not None:
        when, pk = after
        queryset = queryset.filter(Q(occurred_at__lt=when) | Q(occurred_at=when, id__lt=pk))
    rows = list(timeline_queryset(queryset)[: size + 1])
    items, more = rows[:size], len(rows) > size
    next_cursor = f"{items[-1].occurred_at.isoformat()}_{items[-1].pk}" if more and items else None
    return {"items": items, "next_cursor": next_cursor}
