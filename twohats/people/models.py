from __future__ import annotations

import hashlib
import secrets

from auditlog.registry import auditlog
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from twohats.lib.records import TimeStamped, validate_time_zone


class Role(models.TextChoices):
    PM = "pm", "Project manager"
    DIRECTOR = "director", "Director"
    EXECUTIVE = "executive", "Executive"
    ADMIN = "admin", "Administrator"


class Practice(TimeStamped):
    """A business unit of the firm; a director leads it, PMs belong to it."""

    name = models.CharField(max_length=120, unique=True)
    lead = models.ForeignKey(
        "people.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_practices",
        limit_choices_to={"role": Role.DIRECTOR},
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# What a person's name needs: enough for lists that show people and nothing else.
NAME_FIELDS = ("id", "username", "first_name", "last_name")


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PM)
    practice = models.ForeignKey(
        Practice, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    title = models.CharField(max_length=120, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    alert_digest = models.BooleanField(
        "daily alert email",
        default=True,
        help_text="A morning email with your new and still-open alerts.",
    )
    capacity_hours = models.DecimalField(
        "capacity (hours per week)",
        max_digits=5,
        decimal_places=1,
        default=40,
        validators=[MinValueValidator(0), MaxValueValidator(80)],
    )

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        indexes = [models.Index(fields=["role", "practice"])]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_director(self) -> bool:
        return self.role == Role.DIRECTOR

    @property
    def is_executive(self) -> bool:
        return self.role == Role.EXECUTIVE

    @property
    def sees_everything(self) -> bool:
        return self.is_admin or self.is_executive

    @property
    def is_read_only(self) -> bool:
        """Executives read the whole portfolio and change nothing."""
        return self.is_executive and not self.is_admin


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(TimeStamped):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once."""

    PREFIX = "th_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    hint = models.CharField(max_length=16, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @staticmethod
    def hash(raw: str) -> str:
        # A token has 256 bits of entropy, so a fast unsalted hash is enough to protect it.
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)


class WorkdayLocationQuerySet(models.QuerySet["WorkdayLocation"]):
    def visible_to(self, user: User) -> WorkdayLocationQuerySet:
        if user.sees_everything:
            return self.all()
        q = Q(user=user)
        if user.is_director:
            q |= Q(user__practice__lead=user)
        return self.filter(q)

    def editable_by(self, user: User) -> WorkdayLocationQuerySet:
        if user.is_read_only:
            return self.none()
        return self.visible_to(user)


class WorkdayLocation(TimeStamped):
    """Where a staff member worked on a date: a client's site, the home office, or remote."""

    class Kind(models.TextChoices):
        CLIENT_SITE = "client_site", "Client site"
        HOME_OFFICE = "home_office", "Home office"
        REMOTE = "remote", "Remote"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="workday_locations")
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    client = models.ForeignKey(
        "clients.Client",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="workday_locations",
    )
    note = models.CharField(max_length=200, blank=True)

    objects = WorkdayLocationQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="one_location_per_user_day"),
            models.CheckConstraint(
                condition=(Q(kind="client_site", client__isnull=False))
                | (~Q(kind="client_site") & Q(client__isnull=True)),
                name="client_site_names_client",
            ),
        ]
        indexes = [models.Index(fields=["client", "date"])]

    def get_absolute_url(self) -> str:
        return f"{reverse('workdays:list')}?user={self.user_id}"

    def __str__(self) -> str:
        return f"{self.date}: {self.get_kind_display()}"

    def clean(self) -> None:
        if self.kind == self.Kind.CLIENT_SITE and self.client_id is None:
            raise ValidationError({"client": "Say which client's site."})
        if self.kind != self.Kind.CLIENT_SITE and self.client_id is not None:
            raise ValidationError({"client": "Only a client-site day names a client."})


auditlog.register(WorkdayLocation, exclude_fields=["updated_at"])
auditlog.register(
    User,
    include_fields=[
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "practice",
        "title",
        "time_zone",
        "capacity_hours",
        "is_active",
    ],
)
