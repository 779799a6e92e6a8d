"""The client's voice: survey templates (versioned), invitations carrying a single-use token
stored only as its hash, responses and their answers, opt-outs, and request counters for the
public page's rate limits."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

if TYPE_CHECKING:
    from twohats.people.models import User


class SurveyKind(models.TextChoices):
    NPS = "nps", "Net Promoter Score"
    CSAT = "csat", "Satisfaction with a milestone or delivery"
    RELATIONSHIP = "relationship", "Relationship quality"
    ROLES = "roles", "The PM's roles as the client sees them"
    PM_VS_FIRM = "pm_vs_firm", "The PM and the firm"


class SurveyTemplateQuerySet(models.QuerySet["SurveyTemplate"]):
    def current(self) -> SurveyTemplateQuerySet:
        """The version of each template that new invitations use."""
        return self.filter(superseded_at__isnull=True)


class SurveyTemplate(models.Model):
    """One version of a questionnaire. Editing a template that has responses makes a new version
    (`family` names the template across versions); results say which version they come from."""

    family = models.SlugField(max_length=40, help_text="The template across its versions.")
    version = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=16, choices=SurveyKind.choices)
    name = models.CharField(max_length=120)
    language = models.CharField(max_length=8, default="en")
    introduction = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SurveyTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["family", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="one_template_version"),
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_template_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"


class Construct(models.TextChoices):
    """What an item measures; relationship items are averaged per construct."""

    RECOMMEND = "recommend", "Likelihood to recommend"
    REASON = "reason", "Reason"
    SATISFACTION = "satisfaction", "Satisfaction"
    COGNITIVE_TRUST = "cognitive_trust", "Cognitive trust in the PM"
    AFFECTIVE_TRUST = "affective_trust", "Affective trust in the PM"
    FIRM_TRUST = "firm_trust", "Trust in the firm"
    COMMITMENT = "commitment", "Commitment to continue"
    SIMILARITY = "similarity", "Perceived similarity to the PM"
    ROLE = "role", "A role of the PM"
    PM_RATING = "pm_rating", "Rating of the PM"
    FIRM_RATING = "firm_rating", "Rating of the firm"
    COMMENT = "comment", "Comment"


class Question(models.Model):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    construct = models.CharField(max_length=20, choices=Construct.choices)
    # A scale question has a range; a free-text question has none.
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    low_label = models.CharField(max_length=60, blank=True)
    high_label = models.CharField(max_length=60, blank=True)
    required = models.BooleanField(default=True)
    reverse_keyed = models.BooleanField(default=False)
    role = models.CharField(max_length=16, blank=True, help_text="For a role item: which role.")

    class Meta:
        ordering = ["template_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="one_question_position"),
            models.CheckConstraint(
                condition=Q(scale_min__isnull=True, scale_max__isnull=True)
                | Q(scale_min__isnull=False, scale_max__gt=F("scale_min")),
                name="question_scale_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def is_scale(self) -> bool:
        return self.scale_min is not None


class Trigger(models.TextChoices):
    NOW = "now", "Sent now"
    MILESTONE = "milestone", "On a milestone"
    CADENCE = "cadence", "On the cadence"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def visible_to(self, user: User) -> InvitationQuerySet:
        from twohats.clients.models import Client

        return self.filter(project__client__in=Client.objects.visible_to(user).values("pk"))


class Invitation(models.Model):
    """A contact invited to answer a survey for a project. The link's token is random (at least
    128 bits) and only its SHA-256 hash is stored: the token itself exists only in the email."""

    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="+")
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    contact = models.ForeignKey(
        "clients.Contact", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    milestone = models.ForeignKey(
        "projects.Milestone", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.NOW)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "created_at"]),
            models.Index(fields=["project", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="invitation_expires_later"
            )
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} to {self.contact_id}"

    def is_open(self, now: dt.datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


class ResponseQuerySet(models.QuerySet["Response"]):
    def visible_to(self, user: User) -> ResponseQuerySet:
        from twohats.clients.models import Client

        return self.filter(client__in=Client.objects.visible_to(user).values("pk"))


class Response(models.Model):
    """One submitted survey; one per invitation (the database refuses a second)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="response")
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("clients.Contact", on_delete=models.CASCADE, related_name="+")
    pm = models.ForeignKey(
        "people.User", on_delete=models.PROTECT, related_name="+", help_text="The project's PM."
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    # Stored when the response is written, for set-based analytics.
    nps = models.SmallIntegerField("likelihood to recommend (0–10)", null=True, blank=True)
    csat = models.SmallIntegerField("satisfaction (1–5)", null=True, blank=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["client", "submitted_at"]),
            models.Index(fields=["pm", "submitted_at"]),
            models.Index(fields=["contact", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    value = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True, max_length=4000)

    class Meta:
        ordering = ["response_id", "question__position"]
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="one_answer_per_question")
        ]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.value if self.value is not None else self.text[:30]}"

    def clean(self) -> None:
        q = self.question
        if q.is_scale and self.value is not None:
            assert q.scale_min is not None and q.scale_max is not None
            if not q.scale_min <= self.value <= q.scale_max:
                raise ValidationError({"value": f"Choose from {q.scale_min} to {q.scale_max}."})


class SurveyOptOut(models.Model):
    """A contact who unsubscribed: no further invitations."""

    contact = models.OneToOneField(
        "clients.Contact", on_delete=models.CASCADE, related_name="survey_opt_out"
    )
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.contact_id} opted out"


class RateCounter(models.Model):
    """Requests to the public pages per key (an address or a token) and time window, counted in
    the database so that limits hold across processes."""

    key = models.CharField(max_length=100)
    window = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="one_counter")]
        indexes = [models.Index(fields=["window"])]

    def __str__(self) -> str:
        return f"{self.key} {self.window}: {self.hits}"


auditlog.register(SurveyTemplate)
auditlog.register(Question)
