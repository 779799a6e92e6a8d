from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from twohats.clients.models import Client, Contact
from twohats.forms import DateInput, DateTimeInput, VersionedModelForm, limit_choices
from twohats.interactions.models import ROLE_NAMES, ROLES, SENTIMENT_LABELS, Interaction
from twohats.people.models import NAME_FIELDS, User
from twohats.projects.models import Project, ProjectMember


def staff_choices(client: Client, user: User, interaction: Interaction) -> QuerySet[User]:
    """The firm's people who may take part: those working on the account (its lead, its
    projects' managers and teams), the user's practice, and anyone already on the record."""
    people = (
        Q(pk=user.pk)
        | Q(pk=client.account_lead_id)
        | Q(pk__in=Project.objects.filter(client=client).values("manager_id"))
        | Q(pk__in=ProjectMember.objects.filter(project__client=client).values("user_id"))
    )
    if user.practice_id is not None:
        people |= Q(practice_id=user.practice_id)
    if interaction.pk is not None:
        people |= Q(pk__in=interaction.staff.values("pk"))
    return User.objects.filter(people, is_active=True).exclude(role="executive").only(*NAME_FIELDS)


class InteractionForm(VersionedModelForm):
    roles = forms.MultipleChoiceField(
        choices=[(name, label) for name, label, _ in ROLES],
        widget=forms.CheckboxSelectMultiple,
        label="Roles it served",
        error_messages={"required": "Pick at least one role the interaction served."},
    )

    class Meta:
        model = Interaction
        fields = [
            "kind",
            "channel",
            "location",
            "project",
            "occurred_at",
            "duration_minutes",
            "contacts",
            "staff",
            "sentiment",
            "summary",
            "next_step",
            "next_step_due",
            "next_step_owner",
        ]
        labels = {
            "occurred_at": "When",
            "duration_minutes": "Minutes",
            "contacts": "Client people",
            "staff": "Our people",
            "next_step_owner": "Owner",
            "next_step_due": "Due",
        }
        widgets = {
            "occurred_at": DateTimeInput(),
            "next_step_due": DateInput(),
            "summary": forms.Textarea(attrs={"rows": 2, "maxlength": 5000}),
            "contacts": forms.SelectMultiple(attrs={"size": 5}),
            "staff": forms.SelectMultiple(attrs={"size": 5}),
            "sentiment": forms.Select(choices=sorted(SENTIMENT_LABELS.items())),
        }
        help_texts = {"channel": "“In person” counts as face to face."}

    def __init__(self, *args: Any, client: Client, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.instance.client = client
        # Choice lists load only what their labels show: the largest account has 200 contacts.
        projects = Project.objects.filter(client=client).only("id", "name").order_by("name")
        limit_choices(self, "project", projects)
        current = Q(archived_at__isnull=True)
        if self.instance.pk is not None:
            # Keep contacts already on the record even if they have since been archived.
            current |= Q(pk__in=self.instance.contacts.values("pk"))
        contacts = Contact.objects.filter(current, client=client).only(
            "id", "first_name", "last_name"
        )
        limit_choices(self, "contacts", contacts)
        staff = staff_choices(client, user, self.instance)
        limit_choices(self, "staff", staff)
        limit_choices(self, "next_step_owner", staff)
        if self.instance.pk is None:
            self.initial.setdefault(
                "occurred_at", timezone.localtime().replace(second=0, microsecond=0)
            )
            self.initial.setdefault("kind", "meeting")
            self.initial.setdefault("staff", [user.pk])
            self.initial.setdefault("roles", ["implementer"])
            self.initial.setdefault("sentiment", 0)
        else:
            self.initial["roles"] = self.instance.roles
            self.initial["occurred_at"] = timezone.localtime(self.instance.occurred_at)

    def model_fields(self) -> dict[str, Any]:
        fields = super().model_fields()
        chosen = set(self.cleaned_data.get("roles", []))
        fields |= {f"role_{name}": name in chosen for name in ROLE_NAMES}
        return fields
