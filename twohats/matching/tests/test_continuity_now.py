"""Continuity right away: naming a poorly fitting primary representative on the client's edit
page (or through the API), or the representative leaving or being archived, opens the
continuity alert as soon as the write commits, without waiting for the daily run; other
clients' continuity alerts are left alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from twohats.alerts.models import Alert, Rule, Severity, Status
from twohats.alerts.services import Finding, alerts_apply
from twohats.clients.models import Client, Contact
from twohats.matching.instruments import TRAITS
from twohats.matching.models import PersonalityProfile
from twohats.people.models import User
from twohats.test import Cast, ContactFactory

LOW = dict(zip(TRAITS, [10, 20, 10, 20, 10], strict=True))
FAR = dict(zip(TRAITS, [90, 80, 90, 80, 90], strict=True))

pytestmark = pytest.mark.django_db


def profile(person: User | Contact, traits: dict[str, int]) -> None:
    if isinstance(person, User):
        owner: dict[str, Any] = {"user": person, "source": "self", "consent_at": timezone.now()}
    else:
        owner = {"contact": person, "source": "observer"}
    PersonalityProfile.objects.create(instrument="ipip-bfm-20", **owner, **traits)


@pytest.fixture
def pierre(cast: Cast) -> Contact:
    """Marie is Aerolux's representative and fits the lead; Pierre, her colleague, does not."""
    Client.objects.filter(pk=cast.client.pk).update(primary_contact=cast.contact)
    profile(cast.owner, LOW)
    profile(cast.contact, LOW)
    pierre = ContactFactory.create(client=cast.client, first_name="Pierre", last_name="Far")
    profile(pierre, FAR)
    return pierre


@pytest.fixture
def elsewhere(cast: Cast) -> Alert:
    """A continuity alert of another client, which a run for Aerolux must not touch."""
    alerts_apply(
        rules=[Rule.CONTINUITY],
        findings=[
            Finding(
                rule=Rule.CONTINUITY,
                subject_key=f"client:{cast.other_client.pk}",
                severity=Severity.HIGH,
                title="Banque Zed: no primary representative",
                evidence={"previous_contact_id": None},
                playbook=[],
                client_id=cast.other_client.pk,
                pm_id=cast.outsider.pk,
                owner_id=cast.outsider.pk,
            )
        ],
        now=timezone.now() - dt.timedelta(days=1),
    )
    return Alert.objects.get(client=cast.other_client)


def edit_client(browser: Browser, cast: Cast, primary: Contact | None, **extra: Any) -> Any:
    client = Client.objects.get(pk=cast.client.pk)
    data = {
        "name": client.name,
        "industry": client.industry,
        "tier": client.tier,
        "status": client.status,
        "account_lead": client.account_lead_id,
        "primary_contact": primary.pk if primary else "",
        "time_zone": "UTC",
        "version": client.version,
        **extra,
    }
    return browser.post(reverse("clients:edit", args=[client.pk]), data)


def continuity_alerts(client: Client) -> list[Alert]:
    return list(Alert.objects.filter(rule=Rule.CONTINUITY, client=client))


def test_a_poorly_fitting_new_representative_opens_the_alert_at_once(
    client: Browser,
    cast: Cast,
    pierre: Contact,
    elsewhere: Alert,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = edit_client(client, cast, pierre)
    assert response.status_code == 302
    assert len(callbacks) == 1
    [alert] = continuity_alerts(cast.client)
    assert alert.status == Status.OPEN and alert.owner == cast.owner
    assert "new representative Pierre Far fits" in alert.title
    assert alert.evidence["previous_contact"] == "Marie Curie"
    assert alert.evidence["contact_id"] == pierre.pk
    # The other client's alert was neither resolved nor refreshed.
    elsewhere_after = Alert.objects.get(pk=elsewhere.pk)
    assert elsewhere_after.status == Status.OPEN
    assert elsewhere_after.last_evaluated_at == elsewhere.last_evaluated_at
    # Changing back resolves it, again at once.
    with django_capture_on_commit_callbacks(execute=True):
        edit_client(client, cast, cast.contact)
    [alert] = continuity_alerts(cast.client)
    assert alert.status == Status.RESOLVED
    assert Alert.objects.get(pk=elsewhere.pk).status == Status.OPEN


def test_an_edit_that_keeps_the_representative_evaluates_nothing(
    client: Browser, cast: Cast, pierre: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = edit_client(client, cast, cast.contact, notes="Met the board")
    assert response.status_code == 302
    assert callbacks == []
    assert continuity_alerts(cast.client) == []


def test_the_api_change_opens_the_alert_at_once(
    client: Browser, cast: Cast, pierre: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.owner)
    version = Client.objects.get(pk=cast.client.pk).version
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/v1/clients/{cast.client.pk}",
            {"primary_contact": pierre.pk, "version": version},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    [alert] = continuity_alerts(cast.client)
    assert alert.evidence["contact_id"] == pierre.pk


def test_the_representative_leaving_opens_the_gap_at_once(
    client: Browser, cast: Cast, pierre: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.owner)
    version = Contact.objects.get(pk=cast.contact.pk).version
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/v1/contacts/{cast.contact.pk}",
            {"left_on": today.isoformat(), "version": version},
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    [alert] = continuity_alerts(cast.client)
    assert alert.severity == Severity.HIGH
    assert "left on" in alert.title and "nobody replaces them" in alert.title


def test_archiving_the_representative_on_the_page_opens_the_gap_and_restoring_closes_it(
    client: Browser, cast: Cast, pierre: Contact, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.owner)
    url = reverse("contacts:archive", args=[cast.contact.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"archive": "1"}).status_code == 302
    [alert] = continuity_alerts(cast.client)
    assert alert.status == Status.OPEN and "is archived" in alert.title
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"archive": "0"}).status_code == 302
    [alert] = continuity_alerts(cast.client)
    assert alert.status == Status.RESOLVED
    # Archiving a contact who is not the representative evaluates nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("contacts:archive", args=[pierre.pk]), {"archive": "1"})
    assert callbacks == []
