from __future__ import annotations

from typing import TYPE_CHECKING

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from twohats.lib.records import TimeStamped, Versioned

if TYPE_CHECKING:
    from twohats.people.models import User


class Stage(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    QUALIFIED = "qualified", "Qualified"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


OPEN_STAGES = [Stage.IDENTIFIED, Stage.QUALIFIED, Stage.PROPOSAL, Stage.NEGOTIATION]
CLOSED_STAGES = [Stage.WON, Stage.LOST]


class OpportunityQuerySet(models.QuerySet["Opportunity"]):
    def visible_to(self, user: User) -> OpportunityQuerySet:
        if user.sees_everything:
            return self.all()
        from twohats.clients.models import Client

        return self.filter(client__in=Client.objects.visible_to(user).values("pk"))

    def editable_by(self, user: User) -> OpportunityQuerySet:
        if user.is_admin:
            return self.all()
        from twohats.clients.models import Client

        return self.filter(client__in=Client.objects.workable_by(user).values("pk"))

    def open(self) -> OpportunityQuerySet:
        return self.filter(stage__in=OPEN_STAGES)


class Opportunity(TimeStamped, Versioned):
    """Follow-on business, credited to whoever identified it."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="opportunities"
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        help_text="The engagement during which it was identified, if any.",
    )
    title = models.CharField(max_length=200)
    identified_by = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, related_name="identified_opportunities"
    )
    identified_on = models.DateField()
    value = models.DecimalField(
        max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.IDENTIFIED)
    probability = models.PositiveSmallIntegerField(
        "probability (%)", default=10, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    expected_close = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["expected_close", "id"]
        verbose_name_plural = "opportunities"
        indexes = [
            models.Index(fields=["client", "stage"]),
            models.Index(fields=["identified_by", "stage"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=0), name="opportunity_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100), name="probability_0_to_100"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(stage__in=["won", "lost"]),
                name="only_closed_have_close_date",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("growth:detail", args=[self.pk])

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.project is not None and self.project.client_id != self.client_id:
            errors["project"] = "The project must be one of this client's projects."
        if self.stage in CLOSED_STAGES and self.closed_on is None:
            errors["closed_on"] = "Give the date the opportunity was won or lost."
        if self.stage not in CLOSED_STAGES and self.closed_on is not None:
            errors["closed_on"] = "Only a won or lost opportunity has a close date."
        if self.stage == Stage.WON and self.probability != 100:
            errors["probability"] = "A won opportunity has a probability of 100 %."
        if self.stage == Stage.LOST and self.probability != 0:
            errors["probability"] = "A lost opportunity has a probability of 0 %."
        if self.expected_close and self.identified_on and self.expected_close < self.identified_on:
            errors["expected_close"] = "The expected close cannot be before it was identified."
        if errors:
            raise ValidationError(errors)

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def weighted_value(self) -> float:
        return float(self.value) * self.probability / 100


auditlog.register(Opportunity, exclude_fields=["updated_at", "version"])
