"""The continuity rule with frozen time: replacing a client's primary representative with one
who fits the account lead poorly opens one alert for the lead, with the fit in words, the best
alternative PMs and the handover steps; a good fit opens none; a second run does not duplicate;
restoring the fit or the old representative resolves it; a representative who left with nobody
in their place is an alert of its own; the rule's queries do not grow with the accounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from twohats.alerts.continuity import continuity
from twohats.alerts.models import Alert, Rule, Severity, Status
from twohats.alerts.rules import Context, accounts, alerts_evaluate
from twohats.clients.models import Client, Contact
from twohats.health.models import HealthPolicy
from twohats.matching.instruments import TRAITS
from twohats.matching.models import FitPolicy, PersonalityProfile, StaffingConflict
from twohats.people.models import User
from twohats.test import Cast, ClientFactory, ContactFactory, UserFactory, count_queries
from twohats.writes import record_update

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)
LOW = dict(zip(TRAITS, [10, 20, 10, 20, 10], strict=True))  # a PM below average on C, A, ES
FAR = dict(zip(TRAITS, [90, 80, 90, 80, 90], strict=True))  # opposite of LOW in every way
HIGH = dict(zip(TRAITS, [85, 80, 90, 80, 90], strict=True))  # close to FAR, a steady PM

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    """Records are made long before; changes are made when a test travels; rules run at NOW."""
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False):
        yield


def profile(person: User | Contact, traits: dict[str, int]) -> None:
    if isinstance(person, User):
        owner: dict[str, Any] = {"user": person, "source": "self", "consent_at": NOW}
    else:
        owner = {"contact": person, "source": "observer"}
    PersonalityProfile.objects.create(instrument="ipip-bfm-20", **owner, **traits)


def change_primary(client: Client, contact: Contact | None, actor: User, days_ago: int = 2) -> None:
    with time_machine.travel(NOW - dt.timedelta(days=days_ago), tick=False):
        current = Client.objects.get(pk=client.pk)
        record_update(current, actor=actor, fields={"primary_contact": contact})


def fired(now: dt.datetime = NOW) -> list[Alert]:
    alerts_evaluate(now=now)
    return list(Alert.objects.filter(rule=Rule.CONTINUITY).order_by("pk"))


@pytest.fixture
def setup(cast: Cast) -> dict[str, Any]:
    """Marie Curie has been Aerolux's representative for a year; Pierre is her colleague."""
    Client.objects.filter(pk=cast.client.pk).update(primary_contact=cast.contact)
    profile(cast.owner, LOW)
    profile(cast.contact, LOW)
    pierre = ContactFactory.create(client=cast.client, first_name="Pierre", last_name="Far")
    profile(pierre, FAR)
    alternatives = [
        UserFactory.create(first_name="Alt", last_name=str(n), practice=cast.practice)
        for n in range(4)
    ]
    for alt in alternatives:
        profile(alt, HIGH)
    return {"pierre": pierre, "alternatives": alternatives}


def test_it_is_quiet_without_a_change(cast: Cast, setup: dict[str, Any]) -> None:
    assert fired() == []


def test_it_alerts_the_lead_when_the_new_representative_fits_poorly(
    cast: Cast, setup: dict[str, Any]
) -> None:
    pierre, alternatives = setup["pierre"], setup["alternatives"]
    # One alternative has a conflict with the client, one has no room for the account.
    StaffingConflict.objects.create(user=alternatives[0], client=cast.client, reason="dispute")
    User.objects.filter(pk=alternatives[1].pk).update(capacity_hours=5)
    change_primary(cast.client, pierre, cast.owner)
    [alert] = fired()
    assert alert.status == Status.OPEN
    assert alert.owner_id == alert.pm_id == cast.owner.pk
    assert alert.client_id == cast.client.pk and alert.subject_key == f"client:{cast.client.pk}"
    threshold = FitPolicy.objects.active().rules.continuity_threshold
    score = alert.evidence["fit"]
    assert score < threshold
    assert alert.title == (
        f"Aerolux: new representative Pierre Far fits {cast.owner.first_name} "
        f"{cast.owner.last_name} at {score:.0f} (policy {threshold:.0f})"
    )
    parts = " ".join(alert.evidence["fit_parts"])
    # The lead's own traits are folded into one part: teammates see the alert.
    assert "personality against them" in parts and "far apart in personality" not in parts
    assert alert.evidence["previous_contact_id"] == cast.contact.pk
    assert alert.evidence["contact_id"] == pierre.pk
    # The best alternatives: feasible, no conflict, better than the lead; at most three.
    ids = alert.evidence["alternative_ids"]
    assert len(ids) == 3 and ids[:2] == [alternatives[2].pk, alternatives[3].pk]
    assert alternatives[0].pk not in ids and alternatives[1].pk not in ids
    assert cast.owner.pk not in ids
    assert alert.playbook[0] == "Meet Pierre Far face to face within 2 weeks"
    assert (
        alert.playbook[1]
        == "Hold a joint session with Marie Curie and Pierre Far before the handover"
    )
    assert "Alt 2 (fit" in alert.playbook[2] and "Alt 0" not in alert.playbook[2]
    assert alert.severity in (Severity.MEDIUM, Severity.HIGH)


def test_it_opens_none_for_a_good_fit(cast: Cast, setup: dict[str, Any]) -> None:
    good = ContactFactory.create(client=cast.client, first_name="Paul", last_name="Near")
    profile(good, LOW)
    change_primary(cast.client, good, cast.owner)
    assert fired() == []


def test_a_second_run_does_not_duplicate(cast: Cast, setup: dict[str, Any]) -> None:
    change_primary(cast.client, setup["pierre"], cast.owner)
    [first] = fired()
    [again] = fired(NOW + dt.timedelta(hours=1))
    assert again.pk == first.pk and again.status == Status.OPEN
    assert first.transitions.count() == 1


def test_it_outlives_the_audit_window_while_the_fit_stays_low(
    cast: Cast, setup: dict[str, Any]
) -> None:
    change_primary(cast.client, setup["pierre"], cast.owner)
    [alert] = fired()
    [later] = fired(NOW + dt.timedelta(days=60))
    assert later.pk == alert.pk and later.status == Status.OPEN


def test_it_resolves_when_the_old_representative_comes_back(
    cast: Cast, setup: dict[str, Any]
) -> None:
    change_primary(cast.client, setup["pierre"], cast.owner)
    [alert] = fired()
    change_primary(cast.client, cast.contact, cast.owner, days_ago=0)
    [alert] = fired(NOW + dt.timedelta(hours=1))
    assert alert.status == Status.RESOLVED


def test_it_resolves_when_the_fit_is_restored(cast: Cast, setup: dict[str, Any]) -> None:
    pierre = setup["pierre"]
    change_primary(cast.client, pierre, cast.owner)
    [alert] = fired()
    # The lead and Pierre are rated again: now they are alike.
    PersonalityProfile.objects.filter(contact=pierre).update(is_latest=False)
    profile(pierre, LOW)
    [alert] = fired(NOW + dt.timedelta(days=1))
    assert alert.status == Status.RESOLVED
    assert alert.transitions.last().note == "The condition cleared."  # type: ignore[union-attr]


def test_it_alerts_when_the_primary_left_with_nobody_in_their_place(
    cast: Cast, setup: dict[str, Any]
) -> None:
    Contact.objects.filter(pk=cast.contact.pk).update(left_on=NOW.date() - dt.timedelta(days=3))
    [alert] = fired()
    assert alert.severity == Severity.HIGH and alert.owner_id == cast.owner.pk
    assert "Marie Curie left on" in alert.title and "nobody replaces them" in alert.title
    assert alert.playbook[0] == "Ask the sponsor who now speaks for the client"
    # A replacement who fits well clears it.
    good = ContactFactory.create(client=cast.client, first_name="Paul", last_name="Near")
    profile(good, LOW)
    change_primary(cast.client, good, cast.owner, days_ago=0)
    [alert] = fired(NOW + dt.timedelta(hours=1))
    assert alert.status == Status.RESOLVED


def test_a_removed_primary_is_a_gap(cast: Cast, setup: dict[str, Any]) -> None:
    change_primary(cast.client, None, cast.owner)
    [alert] = fired()
    assert alert.title == "Aerolux: no primary representative since Marie Curie was removed"


def _ctx() -> Context:
    policy = HealthPolicy.objects.active().rules
    return Context(now=NOW, today=NOW.date(), rules=policy.rules, accounts=accounts())


def _grow(cast: Cast, n: int) -> None:
    for _ in range(n):
        lead = UserFactory.create(practice=cast.practice)
        profile(lead, LOW)
        client = ClientFactory.create(account_lead=lead)
        old, new = ContactFactory.create(client=client), ContactFactory.create(client=client)
        profile(new, FAR)
        Client.objects.filter(pk=client.pk).update(primary_contact=old)
        change_primary(client, new, lead)


def test_its_queries_do_not_grow_with_the_accounts(cast: Cast, setup: dict[str, Any]) -> None:
    FitPolicy.objects.active()
    _grow(cast, 2)
    small = count_queries(lambda: continuity(_ctx()))
    assert len(continuity(_ctx())[Rule.CONTINUITY]) == 2
    _grow(cast, 6)
    assert len(continuity(_ctx())[Rule.CONTINUITY]) == 8
    assert count_queries(lambda: continuity(_ctx())) == small
