from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from twohats.lib.records import (
    Archivable,
    TimeStamped,
    Versioned,
    validate_time_zone,
)

if TYPE_CHECKING:
    from twohats.people.models import User


class Industry(models.TextChoices):
    AEROSPACE = "aerospace", "Aerospace"
    DEFENCE = "defence", "Defence"
    AUTOMOTIVE = "automotive", "Automotive"
    BANKING = "banking", "Banking"
    INSURANCE = "insurance", "Insurance"
    ENERGY = "energy", "Energy & utilities"
    TELECOM = "telecom", "Telecommunications"
    HEALTHCARE = "healthcare", "Healthcare & life sciences"
    PUBLIC = "public", "Public sector"
    RETAIL = "retail", "Retail & consumer"
    MANUFACTURING = "manufacturing", "Manufacturing"
    TRANSPORT = "transport", "Transport & logistics"
    TECHNOLOGY = "technology", "Technology & media"


class Tier(models.TextChoices):
    STRATEGIC = "strategic", "Strategic"
    KEY = "key", "Key"
    STANDARD = "standard", "Standard"


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    ACTIVE = "active", "Active"
    DORMANT = "dormant", "Dormant"
    FORMER = "former", "Former"


class ClientQuerySet(models.QuerySet["Client"]):
    def visible_to(self, user: User) -> ClientQuerySet:
        """The one access rule for clients; every page, export and endpoint reads through it."""
        if user.sees_everything:
            return self.all()
        from twohats.projects.models import Project

        q = Q(account_lead=user) | Q(pk__in=Project.objects.worked_on_by(user).values("client_id"))
        if user.is_director:
            q |= Q(account_lead__practice__lead=user) | Q(
                pk__in=Project.objects.filter(manager__practice__lead=user).values("client_id")
            )
        return self.filter(q)

    def editable_by(self, user: User) -> ClientQuerySet:
        if user.is_read_only:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.is_director:
            return self.visible_to(user)
        return self.filter(account_lead=user)

    def workable_by(self, user: User) -> ClientQuerySet:
        """Clients whose records (contacts, opportunities) the user may change: editors of the
        client and the managers of its projects."""
        if user.is_read_only:
            return self.none()
        from twohats.projects.models import Project

        return self.filter(
            Q(pk__in=self.editable_by(user).values("pk"))
            | Q(pk__in=Project.objects.filter(manager=user).values("client_id"))
        )

    def active(self) -> ClientQuerySet:
        return self.filter(archived_at__isnull=True)


class Client(TimeStamped, Versioned, Archivable):
    name = models.CharField(max_length=200)
    industry = models.CharField(max_length=32, choices=Industry.choices)
    tier = models.CharField(max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    status = models.CharField(
        max_length=16, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    account_lead = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, related_name="led_clients"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    account_lead_since = models.DateField(
        default=timezone.localdate, help_text="Lead tenure: accounts rotate after some years."
    )
    primary_contact = models.ForeignKey(
        "clients.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="primary representative",
    )
    city = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=120, blank=True)
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)

    objects = ClientQuerySet.as_manager()
    _loaded_lead: int | None = None  # the account lead as read from the database

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["account_lead", "name"]),
            models.Index(fields=["industry"]),
            models.Index(fields=["tier"]),
            models.Index(fields=["status"]),
        ]

    def get_absolute_url(self) -> str:
        return reverse("clients:detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Client:
        client = super().from_db(db, field_names, values)
        if "account_lead_id" in field_names:
            client._loaded_lead = values[field_names.index("account_lead_id")]
        return client

    def save(self, *args: Any, **kwargs: Any) -> None:
        loaded = getattr(self, "_loaded_lead", None)
        if loaded is not None and loaded != self.account_lead_id:
            # A new lead starts a new tenure (going-native severity grows with tenure).
            self.account_lead_since = timezone.localdate()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "account_lead_since"}
        super().save(*args, **kwargs)
        self._loaded_lead = self.account_lead_id

    def clean(self) -> None:
        if self.primary_contact is not None and (
            self.pk is None or self.primary_contact.client_id != self.pk
        ):
            raise ValidationError(
                {"primary_contact": "The primary representative must be a contact of this client."}
            )


class Stance(models.TextChoices):
    CHAMPION = "champion", "Champion"
    SUPPORTER = "supporter", "Supporter"
    NEUTRAL = "neutral", "Neutral"
    SKEPTIC = "skeptic", "Skeptic"
    BLOCKER = "blocker", "Blocker"


# On the 1–5 scales, 4 and 5 count as high power or high interest (Mendelow's grid).
HIGH = 4

QUADRANTS = {
    (True, True): "Manage closely",
    (True, False): "Keep satisfied",
    (False, True): "Keep informed",
    (False, False): "Monitor",
}


class ContactQuerySet(models.QuerySet["Contact"]):
    def visible_to(self, user: User) -> ContactQuerySet:
        if user.sees_everything:
            return self.all()
        return self.filter(client__in=Client.objects.visible_to(user).values("pk"))

    def editable_by(self, user: User) -> ContactQuerySet:
        if user.is_admin:
            return self.all()
        return self.filter(client__in=Client.objects.workable_by(user).values("pk"))

    def active(self) -> ContactQuerySet:
        return self.filter(archived_at__isnull=True)


scale_1_to_5 = [MinValueValidator(1), MaxValueValidator(5)]


class Contact(TimeStamped, Versioned, Archivable):
    """A person at a client, seen as a stakeholder."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    title = models.CharField(max_length=160, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    power = models.PositiveSmallIntegerField(default=3, validators=scale_1_to_5)
    interest = models.PositiveSmallIntegerField(default=3, validators=scale_1_to_5)
    stance = models.CharField(max_length=16, choices=Stance.choices, default=Stance.NEUTRAL)
    reports_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    left_on = models.DateField(
        null=True, blank=True, help_text="The day the contact left the client, if they have."
    )
    # Kept by save(): a fall in stance is an early warning.
    previous_stance = models.CharField(
        max_length=16, choices=Stance.choices, blank=True, editable=False
    )
    stance_changed_on = models.DateField(null=True, blank=True, editable=False)
    notes = models.TextField(blank=True)

    objects = ContactQuerySet.as_manager()
    _loaded_stance: str | None = None  # the stance as read from the database

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["client", "last_name"]),
            models.Index(fields=["last_name", "first_name"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(power__gte=1, power__lte=5), name="power_1_to_5"),
            models.CheckConstraint(
                condition=Q(interest__gte=1, interest__lte=5), name="interest_1_to_5"
            ),
            models.CheckConstraint(
                condition=~Q(reports_to=models.F("pk")), name="contact_not_own_manager"
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("contacts:detail", args=[self.pk])

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        boss = self.reports_to
        if boss is not None:
            if self.pk is not None and boss.pk == self.pk:
                errors["reports_to"] = "A contact cannot report to themselves."
            elif boss.client_id != self.client_id:
                errors["reports_to"] = "A contact can only report to someone at the same client."
            elif self.pk is not None and self.pk in self.chain_above(boss):
                errors["reports_to"] = (
                    f"{boss.name} already reports (directly or not) to {self.name}: "
                    "that would make a loop."
                )
        if self.left_on is not None and self.left_on > timezone.localdate():
            errors["left_on"] = "The date a contact left cannot be in the future."
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Contact:
        contact = super().from_db(db, field_names, values)
        contact._loaded_stance = (
            values[field_names.index("stance")] if "stance" in field_names else None
        )
        return contact

    def save(self, *args: Any, **kwargs: Any) -> None:
        loaded = getattr(self, "_loaded_stance", None)
        if loaded is not None and loaded != self.stance:
            self.previous_stance, self.stance_changed_on = loaded, timezone.localdate()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {
                    *kwargs["update_fields"],
                    "previous_stance",
                    "stance_changed_on",
                }
        super().save(*args, **kwargs)
        self._loaded_stance = self.stance

    @staticmethod
    def chain_above(contact: Contact) -> set[int]:
        """The ids of a contact and everyone they report to, up the chain (one query a level)."""
        seen: set[int] = set()
        current_id: int | None = contact.pk
        while current_id is not None and current_id not in seen:
            seen.add(current_id)
            above = Contact.objects.filter(pk=current_id).values_list("reports_to_id", flat=True)
            current_id = above.first()
        return seen

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.left_on is None

    @property
    def quadrant(self) -> str:
        return QUADRANTS[(self.power >= HIGH, self.interest >= HIGH)]


auditlog.register(Client, exclude_fields=["updated_at", "version"])
auditlog.register(Contact, exclude_fields=["updated_at", "version"])
