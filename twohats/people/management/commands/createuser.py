"""`twohats createuser USERNAME --role ROLE`: add a member of the firm who can sign in."""

from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from twohats.people.models import Practice, Role, User


class Command(BaseCommand):
    help = (
        "Create a user with a role (pm, director, executive, admin). The password is asked "
        "twice on the terminal, or read from standard input with --password-stdin."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--practice", help="name of the practice; a director becomes its lead")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--time-zone", help="e.g. Europe/Paris (default UTC)")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"]
        practice = self._practice(options["practice"])
        user = User(
            username=options["username"],
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
            role=role,
            practice=practice,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        if options["time_zone"]:
            user.time_zone = options["time_zone"]
        # Check everything but the password before asking for it.
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as error:
            raise CommandError(_describe(error)) from None

        password = self._password(options, options.get("stdin") or sys.stdin)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
        user.set_password(password)

        with transaction.atomic():
            user.save()
            if practice is not None and role == Role.DIRECTOR:
                previous = practice.lead
                practice.lead = user
                practice.save(update_fields=["lead", "updated_at"])
                if previous is not None and previous != user:
                    self.stdout.write(f"{practice} was led by {previous}; now by {user}.")
        self.stdout.write(
            self.style.SUCCESS(f"Created {user.username} ({user.get_role_display()}).")
        )

    def _practice(self, name: str | None) -> Practice | None:
        if not name:
            return None
        practice = Practice.objects.filter(name__iexact=name.strip()).first()
        if practice is None:
            known = ", ".join(Practice.objects.values_list("name", flat=True)) or "none yet"
            raise CommandError(f"No practice named “{name}”. Known practices: {known}.")
        return practice

    def _password(self, options: dict[str, Any], stdin: TextIO) -> str:
        if options["password_stdin"]:
            password = stdin.readline().rstrip("\r\n")
        else:
            if not stdin.isatty():
                raise CommandError("No terminal to ask for the password on: use --password-stdin.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        if not password:
            raise CommandError("The password is empty.")
        return password


def _describe(error: ValidationError) -> str:
    """One line per invalid field: `time_zone: “Mars/Base” is not a known time zone`."""
    lines = []
    for field, messages in error.message_dict.items():
        label = "" if field == "__all__" else f"{field.replace('_', ' ')}: "
        lines.append(label + " ".join(messages))
    return "\n".join(lines)
