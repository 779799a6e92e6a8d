"""Each early-warning rule at its thresholds, with frozen time, and the alert lifecycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from twohats.alerts.models import Alert, Rule, Severity, Status
from twohats.alerts.rules import alerts_evaluate
from twohats.alerts.services import alert_dismiss, alert_snooze
from twohats.clients.models import Contact
from twohats.health.models import HealthPolicy, HealthSnapshot
from twohats.interactions.models import ClientRequest, Interaction
from twohats.test import Cast, ContactFactory, InteractionFactory, ProjectFactory

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW - dt.timedelta(days=400), tick=False) as traveller:
        yield
        traveller.move_to(NOW)


@pytest.fixture
def quiet(cast: Cast) -> Cast:
    """The cast with no interactions yet (tier key: silent after 21 days)."""
    Interaction.objects.all().delete()
    return cast


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def touch(cast: Cast, days: float, **fields: object) -> Interaction:
    values: dict[str, object] = {"channel": "video", "location": "home_office"} | fields
    return InteractionFactory(
        client=cast.client, logged_by=cast.owner, occurred_at=ago(days), **values
    )


def fired(rule: str, cast: Cast | None = None) -> list[Alert]:
    alerts_evaluate(now=NOW)
    found = Alert.objects.filter(rule=rule).exclude(status=Status.RESOLVED)
    if cast is not None:
        found = found.filter(client=cast.client)
    return list(found)


@pytest.mark.parametrize("days,severity", [(21, None), (22, Severity.MEDIUM), (43, Severity.HIGH)])
def test_it_warns_of_a_silent_account_after_the_tier_limit(
    quiet: Cast, days: int, severity: int | None
) -> None:
    touch(quiet, days)
    alerts = fired(Rule.SILENT_ACCOUNT, quiet)
    assert [a.severity for a in alerts] == ([severity] if severity else [])
    if severity:
        assert alerts[0].owner == quiet.owner
        assert alerts[0].evidence["days_since_last_interaction"] == days
        assert "Call the primary representative this week" in alerts[0].playbook


@pytest.mark.parametrize("days,fires", [(30, False), (31, True)])
def test_it_warns_of_no_face_to_face_after_the_policy_days(
    quiet: Cast, days: int, fires: bool
) -> None:
    touch(quiet, days, channel="in_person", location="client_site")
    touch(quiet, 2)
    alerts = fired(Rule.NO_FACE_TO_FACE, quiet)
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].title == "Aerolux: no face-to-face meeting in 31 days"


def request(
    cast: Cast,
    *,
    due_in_minutes: float,
    answered: bool = False,
    breached: bool = False,
    raised_days: float = 1,
    priority: str = "normal",
) -> ClientRequest:
    raised = ago(raised_days)
    return ClientRequest.objects.create(
        client=cast.client,
        channel="written",
        priority=priority,
        subject="Access to the test rig",
        raised_at=raised,
        owner=cast.owner,
        logged_by=cast.owner,
        policy=HealthPolicy.objects.active(),
        sla_minutes=960,
        due_at=NOW + dt.timedelta(minutes=due_in_minutes),
        first_response_at=raised + dt.timedelta(hours=1) if answered else None,
        response_minutes=60 if answered else None,
        breached=breached if answered else None,
    )


def test_it_warns_of_an_unanswered_request_past_its_sla(cast: Cast) -> None:
    request(cast, due_in_minutes=1)
    request(cast, due_in_minutes=-600, answered=True)
    assert fired(Rule.OVERDUE_REQUEST, cast) == []
    request(cast, due_in_minutes=-1, priority="high")
    [alert] = fired(Rule.OVERDUE_REQUEST, cast)
    assert alert.severity == Severity.HIGH and alert.evidence["count"] == 1


@pytest.mark.parametrize("judged,late,fires", [(5, 1, False), (3, 1, True), (2, 2, False)])
def test_it_warns_when_the_30_day_breach_share_passes_the_policy(
    cast: Cast, judged: int, late: int, fires: bool
) -> None:
    for n in range(judged):
        request(cast, due_in_minutes=-3000, answered=True, breached=n < late, raised_days=5)
    assert bool(fired(Rule.SLOW_RESPONSES, cast)) is fires


def test_it_names_powerful_contacts_not_engaged_in_90_days(quiet: Cast) -> None:
    sponsor = ContactFactory(client=quiet.client, first_name="Grace", last_name="Hopper", power=5)
    touch(quiet, 91).contacts.add(sponsor)
    touch(quiet, 89).contacts.add(quiet.contact)  # Marie Curie, power 4, engaged
    [alert] = fired(Rule.UNENGAGED_POWER, quiet)
    assert alert.evidence["not_engaged"] == ["Grace Hopper"]
    assert alert.title == "Aerolux: 1 of 2 high-power contacts not engaged in 90 days"
    touch(quiet, 89).contacts.add(sponsor)
    assert fired(Rule.UNENGAGED_POWER, quiet) == []
    assert Alert.objects.get(pk=alert.pk).status == Status.RESOLVED  # cleared by itself


@pytest.mark.parametrize("touches,people,fires", [(4, 1, True), (3, 1, False), (4, 2, False)])
def test_it_warns_of_a_single_threaded_account(
    quiet: Cast, touches: int, people: int, fires: bool
) -> None:
    other = ContactFactory(client=quiet.client)
    for n in range(touches):
        touch(quiet, n + 1).contacts.add(other if people == 2 and n == 0 else quiet.contact)
    assert bool(fired(Rule.SINGLE_THREADED, quiet)) is fires


@pytest.mark.parametrize("left_days,fires", [(10, True), (29, True), (30, False)])
def test_it_warns_when_the_primary_representative_leaves(
    cast: Cast, left_days: int, fires: bool
) -> None:
    cast.client.primary_contact = cast.contact
    cast.client.save()
    Contact.objects.filter(pk=cast.contact.pk).update(
        left_on=(NOW - dt.timedelta(days=left_days)).date()
    )
    alerts = fired(Rule.KEY_CONTACT_CHANGE, cast)
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].severity == Severity.HIGH
        assert "the primary representative Marie Curie left" in alerts[0].title


def test_it_warns_when_a_champion_turns_skeptic(cast: Cast) -> None:
    champion = ContactFactory(client=cast.client, stance="champion")
    with time_machine.travel(NOW - dt.timedelta(days=3), tick=False):
        champion = Contact.objects.get(pk=champion.pk)
        champion.stance = "skeptic"
        champion.save()
    champion.refresh_from_db()
    assert (champion.previous_stance, champion.stance_changed_on) == (
        "champion",
        dt.date(2026, 6, 27),
    )
    [alert] = fired(Rule.KEY_CONTACT_CHANGE, cast)
    assert alert.evidence == {"contact_id": champion.pk, "from": "champion", "to": "skeptic"}
    assert alert.subject_key == f"contact:{champion.pk}"


def test_it_warns_before_a_project_ends_without_growth_work(quiet: Cast) -> None:
    ProjectFactory(
        client=quiet.client,
        manager=quiet.owner,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 8, 31),
    )
    touch(quiet, 5, role_implementer=True)
    [alert] = fired(Rule.NO_GROWTH_ROLES, quiet)
    assert "ends on 2026-08-31" in alert.title
    touch(quiet, 89, role_marketer=True)
    assert fired(Rule.NO_GROWTH_ROLES, quiet) == []


def test_it_warns_when_sentiment_is_low_or_falling(quiet: Cast) -> None:
    for days in (40, 50, 60, 70):
        touch(quiet, days, sentiment=1)
    for days in (1, 2, 3, 4, 5):
        touch(quiet, days, sentiment=-1)
    [alert] = fired(Rule.SENTIMENT_DROP, quiet)
    assert alert.severity == Severity.HIGH  # both: the last five average −1, and a fall of 2
    assert alert.evidence["mean_of_last_interactions"] == -1 and alert.evidence["fall"] == 2


def test_it_warns_when_health_drops(cast: Cast) -> None:
    policy = HealthPolicy.objects.active()
    for date, score in ((dt.date(2026, 5, 31), 82.0), (dt.date(2026, 6, 30), 66.0)):
        HealthSnapshot.objects.create(
            date=date,
            client=cast.client,
            policy=policy,
            overall=score,
            band=policy.rules.bands.of(score),
        )
    [alert] = fired(Rule.HEALTH_DROP, cast)
    assert alert.title == "Aerolux: health 82 → 66 since 2026-05-31 (green → amber)"


def test_it_keeps_one_alert_per_rule_and_subject(quiet: Cast) -> None:
    touch(quiet, 30)
    fired(Rule.SILENT_ACCOUNT)
    fired(Rule.SILENT_ACCOUNT)
    assert Alert.objects.filter(rule=Rule.SILENT_ACCOUNT, client=quiet.client).count() == 1


def test_it_reopens_a_snoozed_alert_when_the_snooze_ends_and_the_condition_holds(
    quiet: Cast,
) -> None:
    touch(quiet, 30)
    [alert] = fired(Rule.SILENT_ACCOUNT, quiet)
    alert_snooze(alert=alert, actor=quiet.owner, until=NOW + dt.timedelta(days=1), now=NOW)
    alerts_evaluate(now=NOW + dt.timedelta(hours=12))
    assert Alert.objects.get(pk=alert.pk).status == Status.SNOOZED
    alerts_evaluate(now=NOW + dt.timedelta(days=2))
    alert.refresh_from_db()
    assert alert.status == Status.OPEN
    assert [t.to_status for t in alert.transitions.all()] == ["open", "snoozed", "open"]


def test_it_keeps_a_dismissed_alert_dismissed_until_the_condition_clears_and_returns(
    quiet: Cast,
) -> None:
    touch(quiet, 30)
    [alert] = fired(Rule.SILENT_ACCOUNT, quiet)
    alert_dismiss(alert=alert, actor=quiet.owner, reason="Client on summer shutdown", now=NOW)
    assert fired(Rule.SILENT_ACCOUNT, quiet) == [Alert.objects.get(pk=alert.pk)]  # still dismissed
    touch(quiet, 1)  # the condition clears...
    alerts_evaluate(now=NOW)
    assert Alert.objects.get(pk=alert.pk).condition_cleared_at == NOW
    later = NOW + dt.timedelta(days=40)  # ...and comes back: a new alert opens
    alerts_evaluate(now=later)
    live = Alert.objects.filter(rule=Rule.SILENT_ACCOUNT, client=quiet.client, status=Status.OPEN)
    assert live.count() == 1 and live.get().pk != alert.pk


def workdays(until: dt.date, weeks: int = 8) -> list[dt.date]:
    first = until - dt.timedelta(weeks=weeks) + dt.timedelta(days=1)
    span = [first + dt.timedelta(days=n) for n in range((until - first).days + 1)]
    return [day for day in span if day.weekday() < 5]


def record_days(cast: Cast, home: set[int]) -> None:
    from twohats.people.models import WorkdayLocation

    days = workdays(NOW.date())
    assert len(days) == 40
    WorkdayLocation.objects.bulk_create(
        WorkdayLocation(user=cast.owner, date=day, kind="home_office")
        if n in home
        else WorkdayLocation(user=cast.owner, date=day, kind="client_site", client=cast.client)
        for n, day in enumerate(days)
    )


@pytest.mark.parametrize(
    "home,fires",
    [
        (set(range(7)), True),  # 33 of 40 days on site (82.5 %), none at the office since
        (set(range(8)), False),  # 32 of 40: exactly the policy's 80 %, not above it
        ({0, 1, 2, 3, 4, 25}, False),  # 85 % on site, but at the office 14 workdays ago
        ({0, 1, 2, 3, 4, 24}, True),  # ...15 workdays ago
    ],
)
def test_it_warns_of_a_pm_going_native(cast: Cast, home: set[int], fires: bool) -> None:
    record_days(cast, home)
    alerts = fired(Rule.GOING_NATIVE)
    assert bool(alerts) is fires
    if fires:
        assert alerts[0].pm == cast.owner and alerts[0].client == cast.client
        assert alerts[0].severity == Severity.MEDIUM
        assert "Return to the home office for the weekly review" in alerts[0].playbook


def test_it_raises_going_native_with_a_long_tenure_as_lead(cast: Cast) -> None:
    from twohats.clients.models import Client

    Client.objects.filter(pk=cast.client.pk).update(account_lead_since=dt.date(2022, 6, 1))
    record_days(cast, set(range(7)))
    [alert] = fired(Rule.GOING_NATIVE)
    assert alert.severity == Severity.HIGH
    assert alert.evidence["lead_tenure_years"] == 4.1
    assert "Plan a rotation of the account lead with your director" in alert.playbook


def test_it_warns_when_a_pms_role_mix_departs_from_the_target(quiet: Cast) -> None:
    for days in (3, 10, 20):
        touch(quiet, days, role_implementer=True).staff.add(quiet.owner)
    [alert] = fired(Rule.ROLE_MIX)
    assert alert.pm == quiet.owner
    assert alert.evidence["distance"] == pytest.approx(0.6)
    assert len(alert.evidence["neglected"]) == 5  # every role but the implementer's
    Interaction.objects.all().delete()
    roles = ["implementer"] * 4 + ["coach", "entrepreneur", "politician", "friend", "marketer"]
    for n, role in enumerate(roles):
        minutes = 50 if role == "implementer" else 60  # 200 : 60 : 60 : 60 : 60 : 60 = target
        flags = {f"role_{name}": name == role for name in set(roles)}
        touch(quiet, n + 1, duration_minutes=minutes, **flags).staff.add(quiet.owner)
    assert fired(Rule.ROLE_MIX) == []


def test_it_starts_a_new_lead_tenure_when_the_lead_changes(cast: Cast) -> None:
    from twohats.clients.models import Client

    client = Client.objects.get(pk=cast.client.pk)
    with time_machine.travel(NOW, tick=False):
        client.account_lead = cast.teammate
        client.save()
    assert Client.objects.get(pk=cast.client.pk).account_lead_since == NOW.date()
