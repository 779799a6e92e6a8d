"""How big the demo data set is.

Counts are proportional to the large set (10,000 clients, about 60,000 contacts, 15,000
projects, 1,000,000 interactions, 500 PMs). Every scale also holds the same few very large
accounts, so pagination and the benchmark of the largest client page work on the small set too.
"""

from __future__ import annotations

from dataclasses import dataclass

SMALL_CLIENTS = 60
LARGE_CLIENTS = 10_000

CONTACTS_PER_CLIENT = 6
PROJECTS_PER_CLIENT = 1.5
INTERACTIONS_PER_CLIENT = 100
OPPORTUNITIES_PER_CLIENT = 1.2
CLIENTS_PER_PM = 20
MIN_PMS = 24
# Below this many interactions per ordinary client the timelines look empty.
MIN_INTERACTIONS_PER_CLIENT = 90


@dataclass(frozen=True)
class BigAccount:
    name: str
    industry: str
    locale: str
    city: str
    time_zone: str
    contacts: int
    interactions: int
    projects: int


BIG_ACCOUNTS: list[BigAccount] = [
    BigAccount(
        "Helios Aerospace Group", "aerospace", "en_GB", "Bristol", "Europe/London", 200, 10_000, 12
    ),
    BigAccount("Meridian Bank", "banking", "en_GB", "London", "Europe/London", 120, 4_000, 7),
    BigAccount(
        "Northgate Public Services", "public", "fr_FR", "Paris", "Europe/Paris", 80, 2_500, 5
    ),
]
LARGEST = BIG_ACCOUNTS[0]


@dataclass(frozen=True)
class Scale:
    clients: int

    @property
    def ordinary_clients(self) -> int:
        return self.clients - len(BIG_ACCOUNTS)

    @property
    def pms(self) -> int:
        return max(MIN_PMS, round(self.clients / CLIENTS_PER_PM))

    @property
    def ordinary_interactions(self) -> int:
        """Interactions of the ordinary clients: the large set's total less the big accounts'."""
        big = sum(account.interactions for account in BIG_ACCOUNTS)
        return max(
            INTERACTIONS_PER_CLIENT * self.clients - big,
            MIN_INTERACTIONS_PER_CLIENT * self.ordinary_clients,
        )


def parse_scale(value: str) -> Scale:
    """`small`, `large` or a number of clients."""
    named = {"small": SMALL_CLIENTS, "large": LARGE_CLIENTS}
    if value in named:
        return Scale(named[value])
    try:
        clients = int(value)
    except ValueError:
        raise ValueError(
            f"scale must be small, large or a number of clients, not “{value}”"
        ) from None
    minimum = len(BIG_ACCOUNTS) + 2
    if clients < minimum:
        raise ValueError(f"a scale needs at least {minimum} clients")
    return Scale(clients)
