"""Fit between a PM and a client's contacts: personality profiles (Big Five, self-report for
staff, observer rating for contacts), working-style tags, perceived similarity, the fit policy
(versioned weights), staffing needs and conflicts, and erasure records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from twohats.matching.instruments import TRAITS

if TYPE_CHECKING:
    from twohats.matching.policy import FitConfig
    from twohats.people.models import User

percent = [MinValueValidator(0), MaxValueValidator(100)]


class Source(models.TextChoices):
    SELF = "self", "Self-report"
    OBSERVER = "observer", "Observer rating"


def staff_profiles_seen_by(user: User, prefix: str = "") -> Q:
    """The one rule for staff profiles, over users (or, with `prefix` "user__", over profiles):
    the person, their practice's director and admins; never executives as such."""
    if user.is_admin:
        return Q(**{f"{prefix}pk__isnull": False})
    seen = Q(**{f"{prefix}pk": user.pk})
    if user.is_director:
        seen |= Q(**{f"{prefix}practice__lead": user})
    return seen


class PersonalityProfileQuerySet(models.QuerySet["PersonalityProfile"]):
    def visible_to(self, user: User) -> PersonalityProfileQuerySet:
        """A staff profile by `staff_profiles_seen_by`; a contact's profile: staff who may see
        the client."""
        from twohats.clients.models import Client

        staff = Q(user__isnull=False) & staff_profiles_seen_by(user, "user__")
        contacts = Q(contact__client__in=Client.objects.visible_to(user).values("pk"))
        return self.filter(staff | contacts)

    def current(self) -> PersonalityProfileQuerySet:
        return self.filter(is_latest=True)


class PersonalityProfile(models.Model):
    """Big Five trait scores of one person on 0–100, from one questionnaire (or entered), with
    who rated and when. A staff member's profile is their own answers, kept with their consent;
    a contact's profile is the rating PM's judgement. Each questionnaire makes a new row: the
    latest is flagged."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personality_profiles",
    )
    contact = models.ForeignKey(
        "clients.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personality_profiles",
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    instrument = models.CharField(max_length=16)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    rated_on = models.DateField(default=timezone.localdate)
    consent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the person agreed to keep their profile."
    )
    extraversion = models.FloatField(validators=percent)
    agreeableness = models.FloatField(validators=percent)
    conscientiousness = models.FloatField(validators=percent)
    emotional_stability = models.FloatField(validators=percent)
    intellect = models.FloatField(validators=percent)
    is_latest = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PersonalityProfileQuerySet.as_manager()

    class Meta:
        ordering = ["-rated_on", "-id"]
        indexes = [
            models.Index(fields=["user", "is_latest"]),
            models.Index(fields=["contact", "is_latest"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, contact__isnull=True)
                | Q(user__isnull=True, contact__isnull=False),
                name="profile_of_one_person",
            ),
            models.CheckConstraint(
                condition=Q(contact__isnull=True) | Q(source="observer"),
                name="contact_profile_is_observed",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(source="observer") | Q(consent_at__isnull=False),
                name="staff_self_report_has_consent",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_latest=True), name="one_latest_staff_profile"
            ),
            models.UniqueConstraint(
                fields=["contact"], condition=Q(is_latest=True), name="one_latest_contact_profile"
            ),
        ]

    def __str__(self) -> str:
        return f"Profile {self.pk} ({self.get_source_display()}, {self.rated_on})"

    @property
    def traits(self) -> dict[str, float]:
        return {trait: getattr(self, trait) for trait in TRAITS}


class ProfileAnswer(models.Model):
    """One answer of the questionnaire behind a profile (1–5), kept so that a score can be
    checked against its sheet, and erased with it."""

    profile = models.ForeignKey(
        PersonalityProfile, on_delete=models.CASCADE, related_name="answers"
    )
    item = models.PositiveSmallIntegerField()
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        ordering = ["profile_id", "item"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "item"], name="one_answer_per_item"),
            models.CheckConstraint(
                condition=Q(value__gte=1, value__lte=5), name="profile_answer_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.value}"


class StyleTag(models.TextChoices):
    WRITTEN = "written", "Prefers written updates"
    CALLS = "calls", "Prefers calls and meetings"
    DETAIL = "detail", "Wants detail"
    BIG_PICTURE = "big_picture", "Wants the big picture"
    FAST = "fast", "Decides fast"
    DELIBERATE = "deliberate", "Decides after deliberation"
    FORMAL = "formal", "Formal"
    INFORMAL = "informal", "Informal"
    EARLY_WARNING = "early_warning", "Wants bad news early"
    HANDS_ON = "hands_on", "Hands-on"


class WorkingStyle(models.Model):
    """Optional working-style tags of a staff member or a contact."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="working_style",
    )
    contact = models.OneToOneField(
        "clients.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="working_style",
    )
    tags = models.JSONField(default=list, help_text="Slugs of StyleTag.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, contact__isnull=True)
                | Q(user__isnull=True, contact__isnull=False),
                name="style_of_one_person",
            )
        ]

    def __str__(self) -> str:
        return ", ".join(self.tags)

    @property
    def labels(self) -> list[str]:
        names = dict(StyleTag.choices)
        return [names.get(tag, tag) for tag in self.tags]


class PerceivedSimilarity(models.Model):
    """Once a pair has worked together: how alike one of them finds the other, 1 (not at all)
    to 7 (very). Perceived similarity predicts rapport better than measured similarity."""

    class Rater(models.TextChoices):
        PM = "pm", "The PM"
        CONTACT = "contact", "The contact (survey)"

    pm = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="perceived_similarity"
    )
    contact = models.ForeignKey(
        "clients.Contact", on_delete=models.CASCADE, related_name="perceived_similarity"
    )
    rater = models.CharField(max_length=8, choices=Rater.choices)
    value = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["pm", "contact", "at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=1, value__lte=7), name="perceived_similarity_1_to_7"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pm_id}–{self.contact_id}: {self.value} ({self.rater})"


class FitPolicyQuerySet(models.QuerySet["FitPolicy"]):
    def active(self) -> FitPolicy:
        """The policy in force; the default comes back if none was ever published."""
        policy = self.filter(active=True).first()
        if policy is not None:
            return policy
        from twohats.matching.policy import DEFAULT_FIT_CONFIG

        policy, _ = self.get_or_create(
            version=1,
            defaults={"active": True, "config": DEFAULT_FIT_CONFIG, "note": "The default weights."},
        )
        return policy


class FitPolicy(models.Model):
    """A version of the fit model's weights. A calibration proposes a version (not active); an
    admin accepts it. Versions are never edited in place."""

    version = models.PositiveIntegerField(unique=True)
    active = models.BooleanField(default=False)
    config = models.JSONField()
    note = models.TextField(blank=True, help_text="Why this version, and the evidence.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)

    objects = FitPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "fit policies"
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_fit_policy"
            )
        ]

    def __str__(self) -> str:
        return f"Fit policy version {self.version}"

    @property
    def rules(self) -> FitConfig:
        from twohats.matching.policy import parse

        return parse(self.config)


class StaffingNeedQuerySet(models.QuerySet["StaffingNeed"]):
    def visible_to(self, user: User) -> StaffingNeedQuerySet:
        """The needs of the projects the user may see."""
        from twohats.projects.models import Project

        return self.filter(project__in=Project.objects.visible_to(user).values("pk"))


class StaffingNeed(models.Model):
    """A project waiting for a PM (new, or its PM is leaving): what the optimiser assigns."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="staffing_needs"
    )
    hours_per_week = models.DecimalField(
        "expected PM load (hours per week)",
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(1), MaxValueValidator(80)],
    )
    practice = models.ForeignKey(
        "people.Practice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Only PMs of this practice; empty for any practice.",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    filled_at = models.DateTimeField(null=True, blank=True)
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = StaffingNeedQuerySet.as_manager()

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(filled_at__isnull=True), name="one_open_need"
            )
        ]

    def __str__(self) -> str:
        return f"Staffing need for project {self.project_id}"


class StaffingConflict(models.Model):
    """A PM who must not be put on a client's work (a conflict of interest, a past dispute)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staffing_conflicts"
    )
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="staffing_conflicts"
    )
    reason = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "client"], name="one_conflict_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} × {self.client_id}: {self.reason}"


class Erasure(models.Model):
    """What stays after a person's answers, profiles and perceived-similarity ratings were
    erased on request: who asked for it, when, whose, and how many rows went. Nothing of the
    profile itself."""

    subject = models.CharField(max_length=40, help_text="'user:12' or 'contact:34'.")
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)
    profiles = models.PositiveIntegerField()
    answers = models.PositiveIntegerField()
    similarities = models.PositiveIntegerField(
        default=0, help_text="Perceived-similarity ratings of or about the person."
    )

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"Erasure of {self.subject} at {self.erased_at:%Y-%m-%d}"
