"""Rate limits of the public pages: counted in the database, per address and per token, in
fixed windows that reset."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from twohats.surveys import ratelimit
from twohats.surveys.models import RateCounter
from twohats.surveys.ratelimit import PER_ADDRESS, PER_TOKEN, Limit, hit, window_start

NOW = dt.datetime(2026, 6, 1, 9, 1, tzinfo=dt.UTC)


def url(token: str) -> str:
    return reverse("survey_public:answer", args=[token])


def test_windows_are_fixed_and_aligned() -> None:
    window = dt.timedelta(minutes=10)
    assert window_start(NOW, window) == dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    later = NOW + dt.timedelta(minutes=8, seconds=59)
    assert window_start(later, window) == dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    assert window_start(later + dt.timedelta(seconds=1), window) == dt.datetime(
        2026, 6, 1, 9, 10, tzinfo=dt.UTC
    )


def test_hits_insert_then_increment_one_row(db: None) -> None:
    limit = Limit("test", 3, dt.timedelta(minutes=10))
    assert [hit("k", limit, now=NOW) for _ in range(4)] == [1, 2, 3, 4]
    assert hit("other", limit, now=NOW) == 1
    [row] = RateCounter.objects.filter(key="test:k")
    assert row.hits == 4 and row.window == dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def test_the_token_limit_holds_then_resets_next_window(db: None) -> None:
    token = secrets.token_urlsafe(32)
    browser = Browser()
    with time_machine.travel(NOW, tick=False) as traveller:
        codes = [browser.get(url(token)).status_code for _ in range(PER_TOKEN.hits + 1)]
        assert codes == [404] * PER_TOKEN.hits + [429]
        page = browser.get(url(token))
        assert page.status_code == 429 and b"Too many requests" in page.content
        assert page["Retry-After"] == "600"
        # The counter is a row, keyed by the token's hash, not the token.
        assert not RateCounter.objects.filter(key__contains=token).exists()
        assert RateCounter.objects.get(key__startswith="token:").hits == PER_TOKEN.hits + 2
        traveller.shift(dt.timedelta(minutes=10))
        assert browser.get(url(token)).status_code == 404


def test_the_address_limit_holds_across_tokens_and_addresses_are_apart(db: None) -> None:
    with time_machine.travel(NOW, tick=False):
        one = Browser(REMOTE_ADDR="10.0.0.1")
        codes = [
            one.get(url(secrets.token_urlsafe(32))).status_code for _ in range(PER_ADDRESS.hits + 1)
        ]
        assert codes == [404] * PER_ADDRESS.hits + [429]
        assert (
            Browser(REMOTE_ADDR="10.0.0.2").get(url(secrets.token_urlsafe(32))).status_code == 404
        )
        unsubscribe = reverse("survey_public:unsubscribe", args=[secrets.token_urlsafe(32)])
        assert one.post(unsubscribe).status_code == 429


def test_old_counters_are_pruned(db: None) -> None:
    limit = Limit("test", 3, dt.timedelta(minutes=10))
    hit("k", limit, now=NOW - dt.timedelta(days=2))
    hit("k", limit, now=NOW)
    assert ratelimit.counters_prune(now=NOW) == 1
    assert RateCounter.objects.count() == 1


@pytest.mark.parametrize("limit", [PER_ADDRESS, PER_TOKEN])
def test_limits_are_as_documented(limit: Limit) -> None:
    assert limit.window == dt.timedelta(minutes=10) and limit.hits in (10, 30)
