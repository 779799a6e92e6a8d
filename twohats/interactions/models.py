from __future__ import annotations

import datetime as dt
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


class Kind(models.TextChoices):
    MEETING = "meeting", "Meeting"
    CALL = "call", "Call"
    SITE_VISIT = "site_visit", "Site visit"
    WORKSHOP = "workshop", "Workshop"
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social"
    STEERING = "steering", "Steering review"


class Channel(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video"
    PHONE = "phone", "Phone"
    WRITTEN = "written", "Written"


class Location(models.TextChoices):
    CLIENT_SITE = "client_site", "Client site"
    HOME_OFFICE = "home_office", "Home office"
    OTHER = "other", "Other"


# The six roles a PM plays (Webber & Torti). Stored as one boolean column each so that role
# balance is a set of conditional counts in SQL.
ROLES: list[tuple[str, str, str]] = [
    ("implementer", "Implementer", "delivers to scope, budget and schedule"),
    ("coach", "Coach", "educates and develops the client's people and the team"),
    ("entrepreneur", "Entrepreneur", "spots new business and follow-on work"),
    ("politician", "Politician", "navigates power and interests on both sides"),
    ("friend", "Friend", "builds personal rapport and trust"),
    ("marketer", "Marketer", "represents the firm's wider capabilities"),
]
ROLE_NAMES = [name for name, _, _ in ROLES]

SENTIMENT_LABELS = {
    -2: "Very negative",
    -1: "Negative",
    0: "Neutral",
    1: "Positive",
    2: "Very positive",
}


class InteractionQuerySet(models.QuerySet["Interaction"]):
    def visible_to(self, user: User) -> InteractionQuerySet:
        if user.sees_everything:
            return self.all()
        from twohats.clients.models import Client

        return self.filter(client__in=Client.objects.visible_to(user).values("pk"))

    def editable_by(self, user: User) -> InteractionQuerySet:
        """Who logged it, and whoever may work on the client's records."""
        if user.is_read_only:
            return self.none()
        if user.is_admin:
            return self.all()
        from twohats.clients.models import Client

        return self.visible_to(user).filter(
            Q(logged_by=user) | Q(client__in=Client.objects.workable_by(user).values("pk"))
        )


class Interaction(TimeStamped, Versioned):
    """One touchpoint with the client and the roles the PM played in it."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="interactions"
    )
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    location = models.CharField(max_length=16, choices=Location.choices)
    occurred_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    contacts = models.ManyToManyField("clients.Contact", related_name="interactions", blank=True)
    staff = models.ManyToManyField(
        "people.User", related_name="interactions", blank=True, verbose_name="staff"
    )
    role_implementer = models.BooleanField(default=False)
    role_coach = models.BooleanField(default=False)
    role_entrepreneur = models.BooleanField(default=False)
    role_politician = models.BooleanField(default=False)
    role_friend = models.BooleanField(default=False)
    role_marketer = models.BooleanField(default=False)
    sentiment = models.SmallIntegerField(
        default=0, validators=[MinValueValidator(-2), MaxValueValidator(2)]
    )
    summary = models.TextField()
    next_step = models.CharField(max_length=300, blank=True)
    next_step_due = models.DateField(null=True, blank=True)
    next_step_owner = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="next_steps"
    )
    next_step_done_at = models.DateTimeField(null=True, blank=True)
    logged_by = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, related_name="logged_interactions"
    )

    objects = InteractionQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-occurred_at", "-id"], name="interaction_timeline"),
            models.Index(fields=["project", "-occurred_at"]),
            models.Index(fields=["logged_by", "-occurred_at"]),
            models.Index(fields=["next_step_owner", "next_step_due"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(sentiment__gte=-2, sentiment__lte=2), name="sentiment_minus2_to_2"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("interactions:detail", args=[self.pk])

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_at:%Y-%m-%d}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.project is not None and self.project.client_id != self.client_id:
            errors["project"] = "The project must be one of this client's projects."
        if self.next_step_due and not self.next_step:
            errors["next_step"] = "Say what the next step is, or leave its due date empty."
        if self.next_step_owner_id and not self.next_step:
            errors["next_step"] = "Say what the next step is, or leave its owner empty."
        if errors:
            raise ValidationError(errors)

    @property
    def roles(self) -> list[str]:
        return [name for name in ROLE_NAMES if getattr(self, f"role_{name}")]

    @property
    def is_face_to_face(self) -> bool:
        return self.channel == Channel.IN_PERSON

    @property
    def sentiment_label(self) -> str:
        return SENTIMENT_LABELS.get(self.sentiment, "")


auditlog.register(
    Interaction, exclude_fields=["updated_at", "version"], m2m_fields={"contacts", "staff"}
)


class Priority(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


class ClientRequestQuerySet(models.QuerySet["ClientRequest"]):
    def visible_to(self, user: User) -> ClientRequestQuerySet:
        if user.sees_everything:
            return self.all()
        from twohats.clients.models import Client

        return self.filter(client__in=Client.objects.visible_to(user).values("pk"))

    def editable_by(self, user: User) -> ClientRequestQuerySet:
        """Whoever logged it or owns it, and whoever may work on the client's records."""
        if user.is_read_only:
            return self.none()
        if user.is_admin:
            return self.all()
        from twohats.clients.models import Client

        return self.visible_to(user).filter(
            Q(logged_by=user)
            | Q(owner=user)
            | Q(client__in=Client.objects.workable_by(user).values("pk"))
        )

    def awaiting_response(self) -> ClientRequestQuerySet:
        return self.filter(first_response_at__isnull=True)


class ClientRequest(TimeStamped, Versioned):
    """Something the client asked for, and how fast the firm answered (the urgency strategy).

    The deadline and, once answered, the business-hours response time are computed when the
    row is written, under the policy version active when the request was raised, and stored:
    analytics aggregate these columns."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="requests")
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    raised_by = models.ForeignKey(
        "clients.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    subject = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    raised_at = models.DateTimeField()
    owner = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, related_name="owned_requests"
    )
    policy = models.ForeignKey(
        "health.HealthPolicy", on_delete=models.PROTECT, related_name="+", editable=False
    )
    sla_minutes = models.PositiveIntegerField(editable=False)
    due_at = models.DateTimeField(editable=False)
    first_response_at = models.DateTimeField(null=True, blank=True)
    response_minutes = models.PositiveIntegerField(null=True, blank=True, editable=False)
    breached = models.BooleanField(null=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    logged_by = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, related_name="logged_requests"
    )

    objects = ClientRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-raised_at"]),
            models.Index(fields=["owner", "first_response_at"]),
            models.Index(fields=["first_response_at", "due_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True)
                | Q(first_response_at__gte=models.F("raised_at")),
                name="response_after_request",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=models.F("raised_at")),
                name="resolution_after_request",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("requests:detail", args=[self.pk])

    def __str__(self) -> str:
        return self.subject

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.project is not None and self.project.client_id != self.client_id:
            errors["project"] = "The project must be one of this client's projects."
        if self.raised_by is not None and self.raised_by.client_id != self.client_id:
            errors["raised_by"] = "The contact must be one of this client's people."
        if self.first_response_at and self.raised_at and self.first_response_at < self.raised_at:
            errors["first_response_at"] = "The first response cannot come before the request."
        if self.resolved_at and self.raised_at and self.resolved_at < self.raised_at:
            errors["resolved_at"] = "The request cannot be resolved before it was raised."
        if self.resolved_at and not self.first_response_at:
            errors["resolved_at"] = "Record the first response before the resolution."
        if errors:
            raise ValidationError(errors)

    def is_overdue(self, now: dt.datetime) -> bool:
        """Past its deadline: answered late, or still unanswered after it."""
        if self.first_response_at is not None:
            return bool(self.breached)
        return self.due_at < now


auditlog.register(ClientRequest, exclude_fields=["updated_at", "version"])
