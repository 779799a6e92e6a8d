from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from twohats.demo.scale import BIG_ACCOUNTS, parse_scale


def test_it_reads_named_and_numbered_scales() -> None:
    assert parse_scale("small").clients == 60
    assert parse_scale("large").clients == 10_000
    assert parse_scale("250").clients == 250


def test_it_scales_the_large_set_to_the_brief() -> None:
    large = parse_scale("large")
    assert large.pms == 500
    big = sum(account.interactions for account in BIG_ACCOUNTS)
    assert large.ordinary_interactions + big == 1_000_000


@pytest.mark.parametrize("value", ["huge", "2", "-5", ""])
def test_it_refuses_a_bad_scale(value: str) -> None:
    with pytest.raises(ValueError, match=r"scale|clients"):
        parse_scale(value)


@pytest.mark.django_db
def test_it_refuses_a_bad_scale_on_the_command_line() -> None:
    with pytest.raises(CommandError, match="small, large or a number"):
        call_command("demo", "--scale", "huge", stdout=io.StringIO())
