from __future__ import annotations

from typing import TYPE_CHECKING

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from twohats.lib.records import Archivable, TimeStamped, Versioned

if TYPE_CHECKING:
    from twohats.people.models import User


class ContractType(models.TextChoices):
    FIXED_PRICE = "fixed_price", "Fixed price"
    TIME_AND_MATERIALS = "time_materials", "Time and materials"
    COST_PLUS = "cost_plus", "Cost plus"
    MANAGED_SERVICE = "managed_service", "Managed service"


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
