"""The small demo data set, built once for the module (it takes a few seconds)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Count, F, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from twohats.bench import measure_delivery_pages
from twohats.clients.models import Client, Contact
from twohats.demo.build import build
from twohats.demo.context import zone
from twohats.demo.logins import DEMO_LOGINS, DEMO_PASSWORD, print_logins
from twohats.demo.scale import BIG_ACCOUNTS, LARGEST, parse_scale
from twohats.growth.models import Opportunity, Stage
from twohats.health.models import HealthPolicy
from twohats.interactions.models import Channel, ClientRequest, Interaction, Kind
from twohats.lib.business_hours import business_minutes_between
from twohats.people.models import Practice, User, WorkdayLocation
from twohats.projects.models import (
    Baseline,
    ChangeRequest,
    ContractType,
    Decision,
    Milestone,
    PlannedValue,
    Project,
    ProjectMember,
    ProjectStatus,
    StatusReport,
)
from twohats.projects.services import evm_of
from twohats.surveys.catalogue import install as install_templates
from twohats.surveys.models import Question, SurveyTemplate

SEED = 11

pytestmark = pytest.mark.django_db

DEMO_MODELS = [
    StatusReport,
    PlannedValue,
    Baseline,
    Milestone,
    ChangeRequest,
    ClientRequest,
    Interaction.contacts.through,
    Interaction.staff.through,
    Interaction,
    Opportunity,
    ProjectMember,
    Project,
    WorkdayLocation,
    Contact,
    Client,
    User,
    Practice,
]


@dataclass
class Built:
    output: str
    digest: str


def wipe() -> None:
    """Empty the demo's tables, as `flush` would (TRUNCATE on PostgreSQL), but keep the health
    policies: they come with the schema, and the cascade through their author would empty them
    for the tests that run after these."""
    policies = list(HealthPolicy.objects.values("id", "version", "active", "config", "note"))
    tables = [model._meta.db_table for model in DEMO_MODELS]
    statements = connection.ops.sql_flush(no_style(), tables, allow_cascade=True)
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        if not HealthPolicy.objects.exists():
            HealthPolicy.objects.bulk_create(HealthPolicy(**row) for row in policies)
        # The ready-made survey templates come with the schema too (the cascade through their
        # author's table empties them).
        install_templates(SurveyTemplate, Question)


def digest() -> str:
    """A fingerprint of the data that does not depend on database ids."""
    parts: list[object] = [
        sorted(User.objects.values_list("username", "role", "practice__name")),
        sorted(Client.objects.values_list("name", "industry", "tier", "status")),
        sorted(
            Interaction.objects.values("client__name")
            .annotate(n=Count("id"))
            .values_list("client__name", "n")
        ),
        sorted(
            Contact.objects.values_list(
                "client__name", "first_name", "last_name", "reports_to__last_name"
            )
        ),
        sorted(Project.objects.values_list("client__name", "name", "status", "manager__username")),
        sorted(
            Opportunity.objects.values_list(
                "client__name", "title", "stage", "identified_by__username"
            )
        ),
        WorkdayLocation.objects.filter(kind="client_site").count(),
        sorted(
            Interaction.objects.values_list(
                "client__name", "kind", "channel", "occurred_at", "sentiment", "logged_by__username"
            )
        )[::97],
        sorted(
            ClientRequest.objects.values_list(
                "client__name", "priority", "raised_at", "due_at", "response_minutes"
            )
        )[::13],
        sorted(
            StatusReport.objects.values_list(
                "project__code", "period_end", "revision", "earned_value", "actual_cost", "spi"
            )
        )[::7],
        sorted(Milestone.objects.values_list("project__code", "name", "actual_date"))[::5],
        sorted(ChangeRequest.objects.values_list("project__code", "asked_at", "decision", "value"))[
            ::3
        ],
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[Built]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        out = io.StringIO()
        call_command("demo", "--if-empty", "--seed", str(SEED), verbosity=0, stdout=out)
        yield Built(output=out.getvalue(), digest=digest())
        wipe()


def test_it_builds_the_small_demo_with_the_expected_counts(demo: Built) -> None:
    assert Client.objects.count() == 60
    assert 500 <= Contact.objects.count() <= 900
    assert 80 <= Project.objects.count() <= 170
    assert 60 <= Opportunity.objects.count() <= 250
    assert 18_000 <= Interaction.objects.count() <= 26_000
    assert Practice.objects.count() == 8
    assert Practice.objects.filter(lead__role="director").count() == 8
    assert User.objects.filter(role="pm").count() >= 24


def test_it_reports_rows_and_rates(demo: Built) -> None:
    assert "interactions.Interaction" in demo.output
    assert "rows/s" in demo.output
    assert "Loaded" in demo.output


def test_it_writes_no_history_rows(demo: Built) -> None:
    assert not LogEntry.objects.exists()


def test_it_keeps_reports_to_acyclic_and_within_one_client(demo: Built) -> None:
    rows = list(
        Contact.objects.values_list("id", "client_id", "reports_to_id", "reports_to__client_id")
    )
    manager = {pk: boss for pk, _, boss, _ in rows}
    assert any(boss for boss in manager.values())
    for pk, client, boss, boss_client in rows:
        assert boss is None or boss_client == client
        seen = {pk}
        while boss is not None:
            assert boss not in seen, f"contact {pk} is in a reporting loop"
            seen.add(boss)
            boss = manager[boss]


def test_it_includes_the_largest_account(demo: Built) -> None:
    client = Client.objects.get(name=LARGEST.name)
    assert client.contacts.count() == 200
    assert client.interactions.count() == 10_000
    assert client.account_lead.username == "pm"
    assert client.primary_contact is not None
    assert client.primary_contact.client_id == client.pk
    assert ProjectMember.objects.filter(project__client=client, user__username="pm2").exists()
    for account in BIG_ACCOUNTS:
        assert Client.objects.get(name=account.name).interactions.count() == account.interactions


def test_it_includes_silent_accounts(demo: Built) -> None:
    now = timezone.now()
    latest = Client.objects.filter(status="active").annotate(last=Max("interactions__occurred_at"))
    silent = [c for c in latest if dt.timedelta(days=60) <= now - c.last <= dt.timedelta(days=121)]
    assert len(silent) >= 2
    assert any(c.account_lead.username == "pm" for c in silent)


def test_it_includes_pms_mostly_on_site(demo: Built) -> None:
    pms = User.objects.filter(role="pm").annotate(
        days=Count("workday_locations"),
        site=Count("workday_locations", filter=Q(workday_locations__kind="client_site")),
    )
    native = [pm for pm in pms if pm.site >= 0.7 * pm.days]
    assert len(native) >= 2
    assert any(pm.practice.name == "Aerospace & Defence" for pm in native)
    year_ago = timezone.now() - dt.timedelta(days=365)
    for pm in native:
        # At the client they have gone native at, they meet in person.
        days = Counter(
            WorkdayLocation.objects.filter(user=pm, kind="client_site").values_list(
                "client_id", flat=True
            )
        )
        client_id = days.most_common(1)[0][0]
        meetings = Interaction.objects.filter(
            logged_by=pm,
            client_id=client_id,
            occurred_at__gte=year_ago,
            kind__in=["meeting", "workshop", "steering"],
        )
        in_person = meetings.filter(channel="in_person", location="client_site").count()
        assert in_person >= 0.6 * meetings.count() > 0
    # Most PMs are not: the demo PM works mostly away from client sites.
    pm = pms.get(username="pm")
    assert pm.site < 0.6 * pm.days


def test_it_covers_every_status_stage_kind_and_contract_type(demo: Built) -> None:
    assert set(Project.objects.values_list("status", flat=True)) == set(ProjectStatus.values)
    assert set(Project.objects.values_list("contract_type", flat=True)) == set(ContractType.values)
    assert set(Opportunity.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert set(Interaction.objects.values_list("kind", flat=True)) == set(Kind.values)
    assert set(Interaction.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert set(Client.objects.values_list("status", flat=True)) >= {"active", "prospect", "former"}
    assert Contact.objects.filter(left_on__isnull=False).exists()
    assert (
        Opportunity.objects.filter(stage__in=["won", "lost"], closed_on__isnull=True).count() == 0
    )


def test_it_makes_interactions_believable(demo: Built) -> None:
    now = timezone.now()
    assert not Interaction.objects.filter(occurred_at__gt=now).exists()
    assert not Interaction.objects.filter(next_step_done_at__gt=now).exists()
    # Contacts and projects of an interaction belong to its client.
    links = Interaction.contacts.through.objects
    assert not links.exclude(contact__client=F("interaction__client")).exists()
    assert (
        not Interaction.objects.filter(project__isnull=False)
        .exclude(project__client=F("client"))
        .exists()
    )
    roles = Interaction.objects.aggregate(
        implementer=Count("id", filter=Q(role_implementer=True)),
        friend=Count("id", filter=Q(role_friend=True)),
        several=Count(
            "id", filter=Q(role_implementer=True) & (Q(role_coach=True) | Q(role_politician=True))
        ),
        total=Count("id"),
    )
    assert roles["implementer"] > 0.7 * roles["total"]
    assert roles["friend"] > 0 and roles["several"] > 0
    steps = Interaction.objects.exclude(next_step="")
    assert steps.count() > 0.2 * roles["total"]
    assert not steps.filter(
        Q(next_step_due__isnull=True) | Q(next_step_owner__isnull=True)
    ).exists()
    assert steps.filter(next_step_done_at__isnull=False).exists()
    assert steps.filter(next_step_done_at__isnull=True).exists()
    # Weekly meetings: the most common weekday-and-hour slot of the largest account recurs.
    slots = Counter(
        (at.weekday(), at.hour, at.minute)
        for at in Interaction.objects.filter(client__name=LARGEST.name, kind="meeting").values_list(
            "occurred_at", flat=True
        )
    )
    assert slots.most_common(1)[0][1] >= 30


def test_it_includes_six_months_of_client_requests(demo: Built) -> None:
    now = timezone.now()
    requests = ClientRequest.objects.all()
    active = Client.objects.filter(status="active").count()
    # A few a month per active account over six months, more for the big ones.
    assert 10 * active <= requests.count() <= 30 * active
    assert requests.filter(raised_at__lt=now - dt.timedelta(days=150)).exists()
    assert not requests.filter(raised_at__lt=now - dt.timedelta(days=190)).exists()
    assert not requests.exclude(client__status="active").exists()
    assert not requests.filter(
        Q(raised_at__gt=now) | Q(first_response_at__gt=now) | Q(resolved_at__gt=now)
    ).exists()
    assert not requests.filter(due_at__lte=F("raised_at")).exists()
    assert not requests.filter(first_response_at__lt=F("raised_at")).exists()
    assert not requests.filter(resolved_at__lt=F("first_response_at")).exists()
    assert not requests.filter(resolved_at__isnull=False, first_response_at__isnull=True).exists()
    assert not requests.exclude(raised_by__client=F("client")).exclude(raised_by=None).exists()
    assert not requests.exclude(project__client=F("client")).exclude(project=None).exists()
    # Deadlines and response times follow the active policy, in each client's time zone.
    policy = HealthPolicy.objects.active()
    assert set(requests.values_list("policy", flat=True)) == {policy.pk}
    for priority, sla in requests.values_list("priority", "sla_minutes").distinct():
        assert sla == policy.rules.sla.minutes(priority)
    answered = requests.filter(first_response_at__isnull=False).select_related("client")
    for request in answered[::40]:
        minutes = business_minutes_between(
            request.raised_at,
            request.first_response_at,  # type: ignore[arg-type]
            policy.rules.calendar,
            zone(request.client.time_zone),
        )
        assert request.response_minutes == minutes
        assert request.breached is (minutes > request.sla_minutes)
    assert not answered.filter(Q(response_minutes__isnull=True) | Q(breached__isnull=True)).exists()
    assert not requests.filter(first_response_at=None).exclude(response_minutes=None).exists()


def test_it_includes_slow_pms_and_overdue_requests(demo: Built) -> None:
    now = timezone.now()
    owners = (
        User.objects.filter(role="pm")
        .annotate(
            answered=Count("owned_requests", filter=Q(owned_requests__breached__isnull=False)),
            breached=Count("owned_requests", filter=Q(owned_requests__breached=True)),
        )
        .filter(answered__gte=10)
    )
    share = {pm.username: pm.breached / pm.answered for pm in owners}
    slow = [name for name, value in share.items() if value >= 0.35]
    prompt = [name for name, value in share.items() if value <= 0.15]
    assert 1 <= len(slow) < len(prompt)
    assert share["pm2"] > 0.35 > 0.15 > share["pm"]
    overall = (
        ClientRequest.objects.filter(breached=True).count()
        / ClientRequest.objects.exclude(breached=None).count()
    )
    assert 0.05 < overall < 0.3
    overdue = ClientRequest.objects.filter(first_response_at__isnull=True, due_at__lt=now)
    assert 1 <= overdue.count() <= 0.05 * ClientRequest.objects.count()


def test_it_gives_every_pm_a_year_of_weekday_locations(demo: Built) -> None:
    today = timezone.localdate()
    dates = WorkdayLocation.objects.values_list("date", flat=True)
    assert all(day.weekday() < 5 for day in dates)
    assert min(dates) >= today - dt.timedelta(days=365)
    per_pm = dict(
        User.objects.filter(role="pm")
        .annotate(n=Count("workday_locations"))
        .values_list("username", "n")
    )
    assert all(200 <= n <= 262 for n in per_pm.values())
    assert not WorkdayLocation.objects.filter(kind="client_site", client__isnull=True).exists()


def latest_reports() -> list[StatusReport]:
    """The current report of each project's latest period."""
    current = StatusReport.objects.current()
    latest = current.filter(project=OuterRef("project")).order_by("-period_end")
    return list(
        current.filter(period_end=Subquery(latest.values("period_end")[:1])).select_related(
            "project__manager"
        )
    )


def test_it_gives_every_project_a_plan_and_every_started_one_its_reports(demo: Built) -> None:
    today = timezone.localdate()
    assert not Project.objects.filter(baselines__isnull=True).exists()
    assert not Baseline.objects.filter(plan__isnull=True).exists()
    plans: dict[int, list[tuple[dt.date, Decimal]]] = {}
    for baseline, day, value in PlannedValue.objects.values_list("baseline", "period_end", "value"):
        plans.setdefault(baseline, []).append((day, value))
    for baseline in Baseline.objects.all():
        values = [value for _, value in sorted(plans[baseline.pk])]
        assert values == sorted(values) and values[-1] == baseline.budget
    # The project's budget is its latest baseline's.
    latest = Baseline.objects.filter(project=OuterRef("pk")).order_by("-number")
    assert not Project.objects.exclude(budget=Subquery(latest.values("budget")[:1])).exists()
    assert set(Project.objects.values_list("reporting_period", flat=True)) == {"weekly", "monthly"}
    reported = set(StatusReport.objects.values_list("project", flat=True))
    for project in Project.objects.exclude(status="proposed"):
        first_end = PlannedValue.objects.filter(baseline__project=project).earliest("period_end")
        if first_end.period_end <= today:
            assert project.pk in reported, project
    assert not StatusReport.objects.filter(project__status="proposed").exists()
    assert not StatusReport.objects.filter(period_end__gt=today).exists()
    assert not StatusReport.objects.filter(created_at__gt=timezone.now()).exists()
    assert not StatusReport.objects.filter(earned_value__gt=F("baseline__budget")).exists()


def test_it_stores_the_indices_the_services_compute(demo: Built) -> None:
    reports = StatusReport.objects.select_related("project", "baseline").order_by("pk")
    for report in reports[::11]:
        computed = evm_of(report)
        assert report.spi == pytest.approx(computed.spi)
        assert report.cpi == pytest.approx(computed.cpi)
        assert report.spi_t == pytest.approx(computed.spi_t)
        report.full_clean()


def test_it_shows_projects_slipping_over_cost_and_re_baselined(demo: Built) -> None:
    latest = [r for r in latest_reports() if r.project.status == "active"]
    spi = [r.spi for r in latest if r.spi is not None]
    cpi = [r.cpi for r in latest if r.cpi is not None]
    assert sum(value >= 0.95 for value in spi) > 0.5 * len(spi)
    assert sum(value < 0.9 for value in spi) >= 0.08 * len(spi)
    assert sum(value < 0.9 for value in cpi) >= 0.08 * len(cpi)
    assert {r.rag for r in latest} == {"green", "amber", "red"}
    assert any(r.spi < 0.9 for r in latest if r.spi and r.project.manager.username == "pm")
    # Re-baselined with a reason; the report of that period revised against the new plan.
    second = Baseline.objects.filter(number=2)
    assert second.exists() and not second.filter(reason="").exists()
    revised = StatusReport.objects.filter(revision=2, baseline__number=2)
    assert revised.exists() and not revised.filter(revision_reason="").exists()
    assert Project.objects.filter(client__name=LARGEST.name, baselines__number=2).exists()
    # Every superseded revision has a current successor for its period.
    for report in StatusReport.objects.filter(superseded_at__isnull=False):
        successor = StatusReport.objects.current().get(
            project=report.project_id, period_end=report.period_end
        )
        assert successor.revision == report.revision + 1
        assert successor.created_at >= report.created_at


def test_it_gives_projects_milestones_within_budget(demo: Built) -> None:
    today = timezone.localdate()
    counts = Project.objects.annotate(n=Count("milestones"), value=Sum("milestones__planned_value"))
    assert all(4 <= p.n <= 8 and p.value <= p.budget for p in counts)
    milestones = Milestone.objects.all()
    late = milestones.filter(
        project__status="active", actual_date__isnull=True, planned_date__lt=today
    )
    assert late.exists() and not late.filter(forecast_date__lte=today).exists()
    done = milestones.filter(actual_date__isnull=False)
    assert done.filter(actual_date__gt=F("planned_date")).exists()
    assert not milestones.filter(actual_date__gt=today).exists()
    assert not milestones.filter(project__status="proposed", actual_date__isnull=False).exists()
    accepted = milestones.filter(accepted_by__isnull=False)
    assert 0.4 * done.count() <= accepted.count() < done.count()
    assert not accepted.exclude(accepted_by__client=F("project__client")).exists()
    assert not accepted.filter(accepted_at__date__lte=F("actual_date")).exists()
    assert not accepted.filter(accepted_at__gt=timezone.now()).exists()
    for milestone in milestones.select_related("project", "accepted_by")[::9]:
        milestone.full_clean()


def test_it_lets_the_native_pms_absorb_changes(demo: Built) -> None:
    changes = ChangeRequest.objects.all()
    assert set(changes.values_list("decision", flat=True)) == set(Decision.values)
    pms = User.objects.filter(role="pm").annotate(
        days=Count("workday_locations", distinct=True),
        site=Count(
            "workday_locations",
            filter=Q(workday_locations__kind="client_site"),
            distinct=True,
        ),
    )
    native = {pm.pk for pm in pms if pm.site >= 0.7 * pm.days}
    decided = changes.exclude(decision="pending")
    by_pm = (
        decided.values("project__manager")
        .annotate(n=Count("id"), absorbed=Count("id", filter=Q(decision="absorbed")))
        .filter(n__gte=3)
    )
    share = {row["project__manager"]: row["absorbed"] / row["n"] for row in by_pm}
    natives = [value for pm, value in share.items() if pm in native]
    others = sorted(value for pm, value in share.items() if pm not in native)
    assert natives and min(natives) > 0.3 > others[len(others) // 2]
    assert share.get(User.objects.get(username="pm").pk, 0) < 0.3
    # A few wait for a decision, some of them for months.
    old = timezone.now() - dt.timedelta(days=60)
    assert changes.filter(decision="pending", asked_at__lt=old).exists()
    assert (
        not changes.filter(decision="pending")
        .exclude(project__status__in=["active", "on_hold"])
        .exists()
    )
    assert not decided.filter(Q(decided_by=None) | Q(decided_at__lt=F("asked_at"))).exists()
    assert not decided.filter(decided_at__gt=timezone.now()).exists()
    assert not changes.exclude(asked_by__client=F("project__client")).exists()
    for change in changes.select_related("project", "asked_by")[::7]:
        change.full_clean()


def test_it_benches_the_delivery_pages_on_the_demo(demo: Built) -> None:
    rows = measure_delivery_pages(runs=1)
    pages = [row["page"] for row in rows]
    assert pages[0].startswith("project page, PM, most records")
    assert pages[1].startswith("project page, PM, typical")
    assert all(row["status"] == 200 and row["queries"] > 0 for row in rows)


def test_it_does_nothing_the_second_time_with_if_empty(demo: Built) -> None:
    before = Interaction.objects.count(), Client.objects.count(), User.objects.count()
    out = io.StringIO()
    call_command("demo", "--if-empty", verbosity=0, stdout=out)
    assert "already holds clients" in out.getvalue()
    assert (Interaction.objects.count(), Client.objects.count(), User.objects.count()) == before


def test_it_refuses_to_load_into_a_database_with_clients(demo: Built) -> None:
    with pytest.raises(CommandError, match="already holds clients"):
        call_command("demo", verbosity=0, stdout=io.StringIO())


def test_it_lets_the_demo_logins_sign_in(demo: Built) -> None:
    for login in DEMO_LOGINS:
        user = User.objects.get(username=login.username)
        assert user.role == login.role
        assert user.check_password(DEMO_PASSWORD)
        assert user.is_active
        assert user.is_superuser == user.is_staff == (login.role == "admin")
    assert (
        User.objects.get(username="director")
        .led_practices.filter(name="Aerospace & Defence")
        .exists()
    )
    assert Client.objects.filter(account_lead__username="pm").count() >= 3
    assert Client.objects.filter(account_lead__username="pm2").exists()


def test_it_prints_the_demo_logins(demo: Built) -> None:
    out = io.StringIO()
    print_logins(out)
    text = out.getvalue()
    assert DEMO_PASSWORD in text
    for login in DEMO_LOGINS:
        assert f"  {login.username} " in text
    assert "Aerospace & Defence" in text


def test_it_is_deterministic_for_a_seed(demo: Built) -> None:
    wipe()
    assert not Client.objects.exists()
    build(scale=parse_scale("small"), seed=SEED)
    assert digest() == demo.digest
