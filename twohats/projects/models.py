from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from twohats.lib.records import Archivable, TimeStamped, Versioned

if TYPE_CHECKING:
    from twohats.people.models import User


class ContractType(models.TextChoices):
    FIXED_PRICE = "fixed_price", "Fixed price"
    TIME_AND_MATERIALS = "time_materials", "Time and materials"
    COST_PLUS = "cost_plus", "Cost plus"
    MANAGED_SERVICE = "managed_service", "Managed service"


class ReportingPeriod(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class ProjectQuerySet(models.QuerySet["Project"]):
    def worked_on_by(self, user: User) -> ProjectQuerySet:
        """Projects the user manages or is on the team of."""
        return self.filter(
            Q(manager=user) | Q(pk__in=ProjectMember.objects.filter(user=user).values("project_id"))
        )

    def visible_to(self, user: User) -> ProjectQuerySet:
        if user.sees_everything:
            return self.all()
        q = (
            Q(manager=user)
            | Q(client__account_lead=user)
            | Q(pk__in=ProjectMember.objects.filter(user=user).values("project_id"))
        )
        if user.is_director:
            q |= Q(manager__practice__lead=user) | Q(client__account_lead__practice__lead=user)
        return self.filter(q)

    def editable_by(self, user: User) -> ProjectQuerySet:
        if user.is_read_only:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.is_director:
            return self.visible_to(user)
        return self.filter(Q(manager=user) | Q(client__account_lead=user))

    def active(self) -> ProjectQuerySet:
        return self.filter(archived_at__isnull=True)


class Project(TimeStamped, Versioned, Archivable):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=32, blank=True, help_text="The firm's project code.")
    manager = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, related_name="managed_projects"
    )
    team: models.ManyToManyField[User, ProjectMember] = models.ManyToManyField(
        "people.User", through="ProjectMember", related_name="team_projects", blank=True
    )
    budget = models.DecimalField(
        "budget at completion",
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    start_date = models.DateField()
    end_date = models.DateField()
    contract_type = models.CharField(
        max_length=20, choices=ContractType.choices, default=ContractType.FIXED_PRICE
    )
    status = models.CharField(
        max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    description = models.TextField(blank=True)
    pm_hours_per_week = models.DecimalField(
        "PM load (hours per week)",
        max_digits=4,
        decimal_places=1,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(80)],
        help_text="The PM's expected weekly hours on the project: workload and staffing.",
    )
    reporting_period = models.CharField(
        max_length=8, choices=ReportingPeriod.choices, default=ReportingPeriod.MONTHLY
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "id"]
        indexes = [
            models.Index(fields=["client", "status"]),
            models.Index(fields=["manager", "status"]),
            models.Index(fields=["name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="project_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_not_negative"),
        ]

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date must not be before the start date."})


class ProjectMember(models.Model):
    """A staff member on a project's team."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey("people.User", on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="one_membership_per_user")
        ]
        indexes = [models.Index(fields=["user", "project"])]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.project_id}"


auditlog.register(Project, exclude_fields=["updated_at", "version"], m2m_fields={"team"})


# ─── Delivery: the plan, the status reports, the milestones and the change ledger ───


class Baseline(models.Model):
    """A version of the project's plan: the budget at completion (BAC) and the planned value per
    period. Re-baselining adds a version with its reason; indices name the version they use."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="baselines")
    number = models.PositiveSmallIntegerField(default=1)
    budget = models.DecimalField(
        "budget at completion", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["project_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="one_baseline_number"),
            models.CheckConstraint(condition=Q(budget__gte=0), name="baseline_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Baseline {self.number}"


class PlannedValue(models.Model):
    """Cumulative planned value at the end of one period of a baseline (the time-phased plan
    that earned schedule reads)."""

    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="plan")
    period_end = models.DateField()
    value = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["baseline_id", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["baseline", "period_end"], name="one_planned_value_per_period"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="planned_value_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.period_end}: {self.value}"


class Rag(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


class EvSource(models.TextChoices):
    ENTERED = "entered", "Entered"
    MILESTONES = "milestones", "From milestones"


class StatusReportQuerySet(models.QuerySet["StatusReport"]):
    def visible_to(self, user: User) -> StatusReportQuerySet:
        return self.filter(project__in=Project.objects.visible_to(user))

    def current(self) -> StatusReportQuerySet:
        """The report in force for each period (the latest revision)."""
        return self.filter(superseded_at__isnull=True)


class StatusReport(models.Model):
    """A project's cumulative planned value, earned value and actual cost at a period end, with
    RAG and narrative. One current report per project and period; a correction is a new revision
    and the earlier one stays, marked superseded. SPI, CPI and SPI(t) are stored when the report
    is written so that portfolio analytics aggregate columns."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_reports")
    period_end = models.DateField()
    revision = models.PositiveSmallIntegerField(default=1)
    baseline = models.ForeignKey(Baseline, on_delete=models.PROTECT, related_name="reports")
    planned_value = models.DecimalField(
        "planned value (PV)", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    earned_value = models.DecimalField(
        "earned value (EV)", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    actual_cost = models.DecimalField(
        "actual cost (AC)", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    ev_source = models.CharField(max_length=16, choices=EvSource.choices, default=EvSource.ENTERED)
    percent_complete = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="The PM's estimate of work done, 0–100.",
    )
    rag = models.CharField("RAG status", max_length=8, choices=Rag.choices)
    narrative = models.TextField(blank=True)
    risks = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    revision_reason = models.TextField(blank=True)
    spi = models.FloatField(null=True, blank=True, editable=False)
    cpi = models.FloatField(null=True, blank=True, editable=False)
    spi_t = models.FloatField("SPI(t)", null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The project's latest current report, flagged when reports are written, so that portfolio
    # pages join one row per project instead of looking it up for each.
    is_latest = models.BooleanField(default=False, editable=False)

    objects = StatusReportQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "-period_end", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "period_end", "revision"], name="one_report_revision"
            ),
            models.UniqueConstraint(
                fields=["project", "period_end"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_report_per_period",
            ),
            models.UniqueConstraint(
                fields=["project"], condition=Q(is_latest=True), name="one_latest_report"
            ),
            models.CheckConstraint(
                condition=Q(planned_value__gte=0) & Q(earned_value__gte=0) & Q(actual_cost__gte=0),
                name="report_values_not_negative",
            ),
        ]
        indexes = [
            models.Index(
                fields=["project", "-period_end"],
                condition=Q(superseded_at__isnull=True),
                name="report_current_latest",
            )
        ]

    def __str__(self) -> str:
        return f"Status report {self.period_end} (revision {self.revision})"


def milestone_slippage_days(
    *,
    planned: datetime.date,
    forecast: datetime.date | None,
    actual: datetime.date | None,
    today: datetime.date,
) -> int:
    """Days after the planned date that a milestone was done or is now expected (negative:
    early). A done milestone counts its actual date. An open one is expected on its forecast
    (else planned) date but never before today: one past its date has slipped at least to
    today, and a forecast that has passed no longer makes it early. The project page, the API
    and the milestone counts read this; the health signal (`health.delivery.milestones`) is the
    same rule in SQL."""
    if actual is not None:
        return (actual - planned).days
    return (max(forecast or planned, today) - planned).days


class MilestoneQuerySet(models.QuerySet["Milestone"]):
    def visible_to(self, user: User) -> MilestoneQuerySet:
        return self.filter(project__in=Project.objects.visible_to(user))

    def editable_by(self, user: User) -> MilestoneQuerySet:
        return self.filter(project__in=Project.objects.editable_by(user))


class Milestone(TimeStamped, Versioned):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    name = models.CharField(max_length=200)
    planned_date = models.DateField()
    forecast_date = models.DateField(null=True, blank=True)
    actual_date = models.DateField(
        "completed on", null=True, blank=True, help_text="Leave empty until it is done."
    )
    planned_value = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    percent_complete = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="For a milestone in progress: how much of its value is earned.",
    )
    accepted_by = models.ForeignKey(
        "clients.Contact", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "planned_date", "id"]
        indexes = [
            models.Index(fields=["project", "planned_date"]),
            models.Index(fields=["actual_date", "planned_date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_value__gte=0), name="milestone_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(accepted_by__isnull=True, accepted_at__isnull=True)
                | Q(accepted_by__isnull=False, accepted_at__isnull=False),
                name="milestone_acceptance_whole",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def slippage_days(self, today: datetime.date) -> int:
        """Days after its planned date that the milestone was done or is now expected, as of
        `today` (negative: early); see `milestone_slippage_days`."""
        return milestone_slippage_days(
            planned=self.planned_date,
            forecast=self.forecast_date,
            actual=self.actual_date,
            today=today,
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.project_id:
            start = self.project.start_date
            if self.planned_date and self.planned_date < start:
                errors["planned_date"] = "The planned date is before the project starts."
            if self.forecast_date and self.forecast_date < start:
                errors["forecast_date"] = f"The forecast is before the project starts ({start})."
            if self.actual_date and self.actual_date < start:
                errors["actual_date"] = (
                    f"The milestone cannot be completed before the project starts ({start})."
                )
        if (self.accepted_by_id is None) != (self.accepted_at is None):
            errors["accepted_by"] = "Acceptance needs both the contact who accepted and when."
        if self.accepted_by_id and not self.actual_date:
            errors["actual_date"] = "A milestone is accepted only once it is completed."
        elif (
            self.accepted_at
            and self.actual_date
            and timezone.localdate(self.accepted_at) < self.actual_date
        ):
            # Also when the completion is corrected later and the acceptance on record is kept.
            errors["accepted_at"] = (
                f"Acceptance cannot come before the milestone was completed ({self.actual_date})."
            )
        if (
            self.accepted_by is not None
            and self.project_id
            and self.accepted_by.client_id != self.project.client_id
        ):
            errors["accepted_by"] = "The contact who accepted must be at the project's client."
        if errors:
            raise ValidationError(errors)


class Decision(models.TextChoices):
    PENDING = "pending", "Pending"
    BILLED = "billed", "Billed"
    ABSORBED = "absorbed", "Absorbed as goodwill"
    DECLINED = "declined", "Declined"


class ChangeRequestQuerySet(models.QuerySet["ChangeRequest"]):
    def visible_to(self, user: User) -> ChangeRequestQuerySet:
        return self.filter(project__in=Project.objects.visible_to(user))

    def editable_by(self, user: User) -> ChangeRequestQuerySet:
        return self.filter(project__in=Project.objects.editable_by(user))


class ChangeRequest(TimeStamped, Versioned):
    """A change of scope the client asked for, and what the firm decided: the ledger of scope
    billed, declined, or given away."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    asked_by = models.ForeignKey(
        "clients.Contact", on_delete=models.PROTECT, related_name="change_requests"
    )
    asked_at = models.DateTimeField()
    description = models.TextField()
    effort_hours = models.DecimalField(
        max_digits=9, decimal_places=1, default=0, validators=[MinValueValidator(0)]
    )
    value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="What the change is worth at the firm's rates.",
    )
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "-asked_at", "-id"]
        indexes = [
            models.Index(fields=["project", "decision"]),
            models.Index(fields=["decision", "asked_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(decision="pending") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="change_decision_has_decider",
            ),
            models.CheckConstraint(
                condition=Q(effort_hours__gte=0) & Q(value__gte=0),
                name="change_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.decision == Decision.PENDING:
            if self.decided_by_id or self.decided_at:
                errors["decision"] = "A pending change has no decider or decision date yet."
        else:
            if not self.decided_by_id:
                errors["decided_by"] = "Say who decided."
            if not self.decided_at:
                errors["decided_at"] = "Say when it was decided."
            elif self.asked_at and self.decided_at < self.asked_at:
                errors["decided_at"] = "The decision cannot come before the request."
        if self.asked_at and self.asked_at > timezone.now():
            errors["asked_at"] = "A change cannot be asked in the future."
        if (
            self.asked_by_id
            and self.project_id
            and self.asked_by.client_id != self.project.client_id
        ):
            errors["asked_by"] = "The contact who asked must be at the project's client."
        if errors:
            raise ValidationError(errors)


auditlog.register(Milestone, exclude_fields=["updated_at", "version"])
auditlog.register(ChangeRequest, exclude_fields=["updated_at", "version"])
