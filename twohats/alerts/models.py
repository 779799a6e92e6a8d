from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.urls import reverse

if TYPE_CHECKING:
    from twohats.people.models import User


class Rule(models.TextChoices):
    GOING_NATIVE = "going_native", "Going native"
    SILENT_ACCOUNT = "silent_account", "Silent account"
    NO_FACE_TO_FACE = "no_face_to_face", "No face-to-face"
    OVERDUE_REQUEST = "overdue_request", "Request past its SLA"
    SLOW_RESPONSES = "slow_responses", "Too many SLA breaches"
    UNENGAGED_POWER = "unengaged_power", "Powerful contacts not engaged"
    SINGLE_THREADED = "single_threaded", "Single-threaded account"
    KEY_CONTACT_CHANGE = "key_contact_change", "Key contact change"
    NO_GROWTH_ROLES = "no_growth_roles", "No entrepreneur or marketer work before the end"
    ROLE_MIX = "role_mix", "Role mix off target"
    SENTIMENT_DROP = "sentiment_drop", "Sentiment drop"
    HEALTH_DROP = "health_drop", "Health drop"
    DELIVERY_DIVERGES = "delivery_red_relationship_green", "Delivery red, relationship green"
    RELATIONSHIP_DIVERGES = "relationship_red_delivery_green", "Relationship red, delivery green"
    PENDING_CHANGE = "pending_change", "Change request pending too long"
    DETRACTOR = "detractor", "Detractor or falling score"
    CONTINUITY = "continuity", "Representative continuity"


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"


class Status(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


LIVE = [Status.OPEN, Status.ACKNOWLEDGED, Status.SNOOZED]


class AlertQuerySet(models.QuerySet["Alert"]):
    def visible_to(self, user: User) -> AlertQuerySet:
        """Alerts about what the user may see: a client's, or a PM's own (and their staff's,
        for a director)."""
        if user.sees_everything:
            return self.all()
        from twohats.clients.models import Client

        q = Q(client__in=Client.objects.visible_to(user).values("pk")) | Q(pm=user) | Q(owner=user)
        if user.is_director:
            q |= Q(pm__practice__lead=user)
        return self.filter(q)

    def editable_by(self, user: User) -> AlertQuerySet:
        if user.is_read_only:
            return self.none()
        return self.visible_to(user)

    def live(self) -> AlertQuerySet:
        return self.filter(status__in=LIVE)


class Alert(models.Model):
    """An early warning about a client, a project or a PM, with the numbers behind it.

    One live alert per rule and subject: a rule that still fires updates its alert; one that
    stops firing resolves it. A dismissed alert stays dismissed until its condition clears."""

    rule = models.CharField(max_length=32, choices=Rule.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    subject_key = models.CharField(max_length=64, help_text="e.g. client:12, pm:7")
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    pm = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(
        "people.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_alerts",
        help_text="Who should act.",
    )
    title = models.CharField(max_length=300)
    evidence = models.JSONField(default=dict)
    playbook = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField()
    snoozed_until = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    dismissed_reason = models.CharField(max_length=300, blank=True)
    condition_cleared_at = models.DateTimeField(null=True, blank=True)
    last_evaluated_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-severity", "-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_key"],
                condition=Q(status__in=LIVE) | Q(status="dismissed", condition_cleared_at=None),
                name="one_alert_per_rule_and_subject",
            )
        ]
        indexes = [
            models.Index(fields=["status", "-severity", "opened_at"]),
            models.Index(fields=["status", "owner"]),
            models.Index(fields=["client", "status"]),
            models.Index(fields=["pm", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("alerts:detail", args=[self.pk])

    @property
    def is_live(self) -> bool:
        return self.status in LIVE


class AlertTransition(models.Model):
    """Every change of an alert's status, with when and who (empty: the system)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["alert", "at"])]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"
