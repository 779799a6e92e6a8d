"""Practices, their directors and PMs, an executive and an administrator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password

from twohats.demo.context import Context, Staff, ascii_slug
from twohats.demo.logins import DEMO_LOGINS, DEMO_PASSWORD
from twohats.demo.vocab import INDUSTRY_WEIGHTS, PRACTICES, STAFF_TITLES
from twohats.people.models import Practice, User

# The fixed demo logins belong to the first practice (Aerospace & Defence), which holds the
# largest account.
HOME_PRACTICE = 0

STAFF_LOCALES = ("en_GB", "en_GB", "fr_FR", "de_DE", "en_US")


def build_people(ctx: Context) -> None:
    rng = ctx.rng
    plan_staff(ctx)
    practices = [Practice(name=spec.name) for spec in PRACTICES]
    # Hash the shared demo password once: hashing is deliberately slow.
    password = make_password(DEMO_PASSWORD)
    domain = ascii_slug(settings.FIRM_NAME, "") + ".example"
    with ctx.writer.bar("people.User", len(ctx.staff)) as bar:
        ctx.writer.insert(Practice, practices)
        users = []
        for person in ctx.staff:
            joined = ctx.today_ord - rng.randint(120, 3600)
            users.append(
                User(
                    username=person.username,
                    password=password,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    email=f"{person.username}@{domain}",
                    role=person.role,
                    practice=practices[person.practice] if person.practice >= 0 else None,
                    title=_title(ctx, person),
                    time_zone=person.time_zone,
                    capacity_hours=Decimal(rng.choices((40, 32, 24), (80, 12, 8))[0]),
                    is_staff=person.role == "admin",
                    is_superuser=person.role == "admin",
                    date_joined=dt.datetime.combine(
                        dt.date.fromordinal(joined), dt.time(9), tzinfo=dt.UTC
                    ),
                )
            )
        ctx.writer.insert(User, users)
        bar.update(len(users))
    for person, user in zip(ctx.staff, users, strict=True):
        person.id = user.pk
    # Each practice is led by one director, in practice order.
    directors = [person for person in ctx.staff if person.role == "director"]
    leads = [(director.id, p.pk) for p, director in zip(practices, directors, strict=True)]
    ctx.writer.update_column(Practice, "lead", leads)


def _title(ctx: Context, person: Staff) -> str:
    if person.role == "director":
        return f"Director, {PRACTICES[person.practice].name}"
    if person.role == "executive":
        return "Chief Operating Officer"
    if person.role == "admin":
        return "Systems administrator"
    return ctx.rng.choice(STAFF_TITLES)


def plan_staff(ctx: Context) -> None:
    """Directors (one per practice, `director` leads the first) and PMs spread over practices
    in proportion to their share of clients."""
    rng = ctx.rng
    names: set[str] = {login.username for login in DEMO_LOGINS}
    by_login = {login.username: login for login in DEMO_LOGINS}

    def add(username: str, role: str, practice: int, first: str, last: str) -> Staff:
        zone = PRACTICES[practice].time_zone if practice >= 0 else "Europe/London"
        if practice >= 0 and rng.random() < 0.15:
            zone = rng.choice(PRACTICES).time_zone
        person = Staff(
            index=len(ctx.staff),
            username=username,
            role=role,
            practice=practice,
            first_name=first,
            last_name=last,
            time_zone=zone,
            style=(
                rng.uniform(0.4, 1.6),
                rng.uniform(0.4, 1.6),
                rng.uniform(0.4, 1.6),
                rng.uniform(0.4, 1.6),
                rng.uniform(0.4, 1.6),
            ),
        )
        ctx.staff.append(person)
        if role == "pm":
            ctx.pms_by_practice.setdefault(practice, []).append(person)
        if username in by_login:
            ctx.logins[username] = person
        return person

    def generated(role: str, practice: int) -> Staff:
        fake = ctx.faker(rng.choice(STAFF_LOCALES))
        first, last = fake.first_name(), fake.last_name()
        words = ascii_slug(f"{first} {last}").split(".")
        base = ".".join(w for w in words if w not in ("ii", "iii", "iv")) or "staff"
        username, n = base, 1
        while username in names:
            n += 1
            username = f"{base}{n}"
        names.add(username)
        return add(username, role, practice, first, last)

    def fixed(username: str, practice: int) -> Staff:
        login = by_login[username]
        return add(username, login.role, practice, login.first_name, login.last_name)

    fixed("admin", -1)
    fixed("exec", -1)
    for index in range(len(PRACTICES)):
        if index == HOME_PRACTICE:
            fixed("director", index)
        else:
            generated("director", index)
    shares = [sum(INDUSTRY_WEIGHTS[name] for name in spec.industries) for spec in PRACTICES]
    total = sum(shares)
    counts = [max(3, round(ctx.scale.pms * share / total)) for share in shares]
    for index, count in enumerate(counts):
        if index == HOME_PRACTICE:
            fixed("pm", index)
            fixed("pm2", index)
            count -= 2
        for _ in range(count):
            generated("pm", index)
