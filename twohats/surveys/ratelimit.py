"""Rate limits of the public survey pages: fixed-window counters per client address and per
token, kept in the database (RateCounter) so that they hold across app processes.

One statement inserts a window's counter or increments it (INSERT … ON CONFLICT … RETURNING,
on SQLite 3.35+ and PostgreSQL alike), so two requests at once never lose a count."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from twohats.surveys.models import RateCounter


@dataclass(frozen=True)
class Limit:
    name: str
    hits: int
    window: dt.timedelta


PER_ADDRESS = Limit("addr", 30, dt.timedelta(minutes=10))
PER_TOKEN = Limit("token", 10, dt.timedelta(minutes=10))
# Counters older than this are deleted now and then (see `counters_prune`).
KEEP = dt.timedelta(days=1)


def window_start(now: dt.datetime, window: dt.timedelta) -> dt.datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def hit(key: str, limit: Limit, *, now: dt.datetime) -> int:
    """Count one request under `key` in the current window; the count so far."""
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    start = window_start(now, limit.window)
    sql = (
        f'INSERT INTO {table} ("key", "window", "hits") VALUES (%s, %s, 1) '
        f'ON CONFLICT ("key", "window") DO UPDATE SET "hits" = {table}."hits" + 1 '
        'RETURNING "hits"'
    )
    field = RateCounter._meta.get_field("window")
    value = field.get_db_prep_value(start, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"{limit.name}:{key}"[:100], value])
        row = cursor.fetchone()
    return int(row[0])


def address_of(request: HttpRequest) -> str:
    return get_client_ip_address(request) or "unknown"


def allowed(request: HttpRequest, token: str, *, now: dt.datetime | None = None) -> bool:
    """Count this request against its address and its token; False once either is over."""
    now = now or timezone.now()
    by_address = hit(address_of(request), PER_ADDRESS, now=now)
    # The token is keyed by a hash, never stored as such.
    digest = hashlib.sha256(token.encode()).hexdigest()
    by_token = hit(digest, PER_TOKEN, now=now)
    return by_address <= PER_ADDRESS.hits and by_token <= PER_TOKEN.hits


def counters_prune(*, now: dt.datetime) -> int:
    deleted, _ = RateCounter.objects.filter(window__lt=now - KEEP).delete()
    return deleted
