"""The demo logins: fixed usernames sharing one known password."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Protocol

from django.db import DatabaseError

DEMO_PASSWORD = "twohats-demo"


class Output(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    role: str
    sees: str


DEMO_LOGINS: list[DemoLogin] = [
    DemoLogin("admin", "Alex", "Morgan", "admin", "everything, plus users and the admin site"),
    DemoLogin("exec", "Evelyn", "Carter", "executive", "the whole portfolio, read-only"),
    DemoLogin("director", "Daniel", "Reyes", "director", "every account of the practice led"),
    DemoLogin("pm", "Priya", "Mehta", "pm", "the accounts led, including the largest one"),
    DemoLogin("pm2", "Tom", "Becker", "pm", "own accounts, and a project of pm's as a teammate"),
]
DEMO_USERNAMES = [login.username for login in DEMO_LOGINS]


def print_logins(out: Output | None = None) -> None:
    """Print the demo logins that exist in the database; nothing on an empty or new database."""
    from twohats.people.models import User

    try:
        users = {
            user.username: user
            for user in User.objects.filter(username__in=DEMO_USERNAMES).prefetch_related(
                "led_practices"
            )
        }
    except DatabaseError:
        return
    if not users:
        return
    out = out or sys.stdout
    lines = [f"Demo logins (password: {DEMO_PASSWORD}):"]
    for login in DEMO_LOGINS:
        user = users.get(login.username)
        if user is None:
            continue
        sees = login.sees
        practices = [practice.name for practice in user.led_practices.all()]
        if practices:
            sees = f"{sees} ({', '.join(practices)})"
        lines.append(f"  {login.username:<10} {user.get_role_display():<16} {sees}")
    out.write("\n".join(lines) + "\n\n")
    out.flush()
