from __future__ import annotations

import io

import pytest
from django.db import OperationalError

from twohats.demo.logins import print_logins
from twohats.people.models import User


@pytest.mark.django_db
def test_it_prints_nothing_on_an_empty_database() -> None:
    out = io.StringIO()
    print_logins(out)
    assert out.getvalue() == ""


def test_it_prints_nothing_when_the_database_is_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    def unmigrated(*args: object, **kwargs: object) -> None:
        raise OperationalError("no such table: people_user")

    monkeypatch.setattr(User.objects, "filter", unmigrated)
    out = io.StringIO()
    print_logins(out)
    assert out.getvalue() == ""
