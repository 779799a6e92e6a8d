from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from twohats.people.models import Practice, Role, User
from twohats.test import PracticeFactory, UserFactory

PASSWORD = "orbit-lantern-quarry-58"

pytestmark = pytest.mark.django_db


def create(*args: str, password: str = PASSWORD) -> str:
    out = io.StringIO()
    call_command(
        "createuser", *args, "--password-stdin", stdin=io.StringIO(password + "\n"), stdout=out
    )
    return out.getvalue()


@pytest.mark.parametrize("role", Role.values)
def test_it_creates_each_role(role: str) -> None:
    output = create(
        "alice", "--role", role, "--email", "alice@firm.example", "--first-name", "Alice"
    )
    user = User.objects.get(username="alice")
    assert user.role == role
    assert user.email == "alice@firm.example"
    assert user.first_name == "Alice"
    assert user.check_password(PASSWORD)
    assert user.is_staff == user.is_superuser == (role == "admin")
    assert "Created alice" in output


def test_it_puts_a_pm_in_a_practice_with_a_time_zone() -> None:
    practice = PracticeFactory(name="Aerospace & Defence")
    create(
        "bob", "--role", "pm", "--practice", "aerospace & defence", "--time-zone", "Europe/Paris"
    )
    user = User.objects.get(username="bob")
    assert user.practice == practice
    assert user.time_zone == "Europe/Paris"
    practice.refresh_from_db()
    assert practice.lead is None


def test_it_makes_a_director_lead_the_practice() -> None:
    practice = PracticeFactory(name="Public Sector")
    create("dana", "--role", "director", "--practice", "Public Sector")
    practice.refresh_from_db()
    assert practice.lead == User.objects.get(username="dana")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_it_asks_for_the_password_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    call_command("createuser", "erin", "--role", "pm", stdin=Terminal(), stdout=io.StringIO())
    assert User.objects.get(username="erin").check_password(PASSWORD)


def test_it_refuses_two_different_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(CommandError, match="differ"):
        call_command("createuser", "erin", "--role", "pm", stdin=Terminal(), stdout=io.StringIO())
    assert not User.objects.filter(username="erin").exists()


def test_it_needs_a_terminal_or_password_stdin() -> None:
    with pytest.raises(CommandError, match="--password-stdin"):
        call_command(
            "createuser", "erin", "--role", "pm", stdin=io.StringIO(), stdout=io.StringIO()
        )
    assert not User.objects.exists()


def test_it_refuses_an_unknown_role() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'boss'"):
        create("frank", "--role", "boss")
    assert not User.objects.exists()


def test_it_refuses_a_weak_password() -> None:
    with pytest.raises(CommandError, match="Password refused: This password is too common"):
        create("gina", "--role", "pm", password="password")
    assert not User.objects.exists()


def test_it_refuses_an_empty_password() -> None:
    with pytest.raises(CommandError, match="empty"):
        create("gina", "--role", "pm", password="")
    assert not User.objects.exists()


def test_it_refuses_a_bad_time_zone() -> None:
    with pytest.raises(CommandError, match=r"time zone: .*Mars/Olympus"):
        create("hugo", "--role", "pm", "--time-zone", "Mars/Olympus")
    assert not User.objects.exists()


def test_it_refuses_an_unknown_practice() -> None:
    PracticeFactory(name="Financial Services")
    with pytest.raises(CommandError, match=r"No practice named “Retail”.*Financial Services"):
        create("ivy", "--role", "pm", "--practice", "Retail")
    assert not User.objects.exists()


def test_it_refuses_a_taken_username() -> None:
    UserFactory(username="jack")
    with pytest.raises(CommandError, match="username: A user with that username already exists"):
        create("jack", "--role", "pm")
    assert User.objects.filter(username="jack").count() == 1
    assert Practice.objects.count() == 0


def test_it_exits_non_zero_from_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twohats.cli", "createuser", "kim", "--role", "boss"],
        capture_output=True,
        text=True,
        env={**os.environ, "TWOHATS_TESTING": "1"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "invalid choice: 'boss'" in result.stderr
