"""The in-memory plan of a demo build: who exists, which clients, and the shared random state.

Everything random comes from one `random.Random(seed)` and Faker instances seeded from the same
seed, consumed in a fixed order, so a seed always gives the same data. Decisions never depend on
database ids (they differ between databases); ids are only copied into rows.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from zoneinfo import ZoneInfo

from django.utils import timezone
from faker import Faker

from twohats.demo.scale import Scale
from twohats.demo.writer import Writer

# A contact who has not left is treated as leaving after every date of the data set.
NEVER = 10**7


@dataclass(eq=False)
class Staff:
    """A member of the firm (the rows are people.User)."""

    index: int
    username: str
    role: str
    practice: int  # index into PRACTICES; -1 for none
    first_name: str
    last_name: str
    time_zone: str
    # Multipliers of the chance of each non-implementer role (coach, entrepreneur, politician,
    # friend, marketer): some PMs are pure implementers, others natural account managers.
    style: tuple[float, float, float, float, float] = (1.0, 1.0, 1.0, 1.0, 1.0)
    habit: str = "hybrid"
    id: int = 0


@dataclass(eq=False)
class ProjectPlan:
    subject: str
    name: str
    status: str
    start: int  # date ordinals
    end: int
    manager: Staff
    team: list[Staff]
    budget: int
    contract_type: str
    id: int = 0
    mood: float = 0.0  # the shift of its interactions' sentiment that its PM makes (matching.py)


@dataclass(eq=False)
class ClientPlan:
    index: int
    name: str
    industry: str
    practice: int
    tier: str
    status: str
    lead: Staff
    locale: str
    city: str
    country: str
    time_zone: str
    start: int  # first and last date (ordinals) of the account's interaction history
    end: int
    mood: float  # the account's baseline sentiment
    contacts_n: int
    projects_n: int
    interactions_n: int = 0
    big: bool = False
    silent: bool = False
    id: int = 0
    contact_ids: list[int] = field(default_factory=list)
    contact_left: list[int] = field(default_factory=list)  # ordinal of leaving, or NEVER
    contact_weights: list[float] = field(default_factory=list)  # cumulative, by power
    senior_contacts: list[int] = field(default_factory=list)  # indices of high-power contacts
    projects: list[ProjectPlan] = field(default_factory=list)


class Context:
    def __init__(self, *, scale: Scale, seed: int, writer: Writer) -> None:
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.writer = writer
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.today_ord = self.today.toordinal()
        self.staff: list[Staff] = []
        self.pms_by_practice: dict[int, list[Staff]] = {}
        self.logins: dict[str, Staff] = {}
        self.clients: list[ClientPlan] = []
        # Where each PM worked on each weekday of the past year: user id -> ordinal -> client id,
        # or HOME / REMOTE.
        self.workdays: dict[int, dict[int, int]] = {}
        # The (user id, ordinal) days a PM decided not to travel to a client.
        self.stayed: set[tuple[int, int]] = set()
        self._fakers: dict[str, Faker] = {}

    def faker(self, locale: str) -> Faker:
        fake = self._fakers.get(locale)
        if fake is None:
            fake = Faker(locale)
            # Seeded per instance: Faker.seed() would set state shared by every Faker.
            fake.seed_instance(self.seed)
            self._fakers[locale] = fake
        return fake

    def pms(self) -> list[Staff]:
        return [person for person in self.staff if person.role == "pm"]


HOME = 0
REMOTE = -1


def between(rng: random.Random, low: int, high: int) -> int:
    """A random integer from low to high inclusive: rng.randint, several times faster, for the
    inner loops of the million-row build."""
    return low + int(rng.random() * (high - low + 1))


def weekday(ordinal: int) -> int:
    """Monday is 0, as date.weekday(); ordinal 1 (1 January of year 1) was a Monday."""
    return (ordinal - 1) % 7


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@cache
def _utc_offset(time_zone: str, ordinal: int) -> dt.timedelta:
    day = dt.date.fromordinal(ordinal)
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zone(time_zone))
    return noon.utcoffset() or dt.timedelta(0)


def at(ordinal: int, hour: int, minute: int, time_zone: str) -> dt.datetime:
    """The aware (UTC) datetime of a local time of day in a time zone.

    Clocks change at night, so the offset at noon holds for the working day; caching it per
    zone and day makes this cheap enough for a million interactions.
    """
    local = dt.datetime.fromordinal(ordinal).replace(hour=hour, minute=minute, tzinfo=dt.UTC)
    return local - _utc_offset(time_zone, ordinal)


def ascii_slug(text: str, separator: str = ".") -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(ch if ch.isalnum() else " " for ch in plain.lower()).split()
    return separator.join(words)
