from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from twohats.clients.models import Client, Contact
from twohats.forms import DateTimeInput, Form, VersionedModelForm, limit_choices
from twohats.interactions.models import Channel, ClientRequest, Priority
from twohats.people.models import NAME_FIELDS, Role, User
from twohats.projects.models import Project, ProjectMember


def owner_choices(client: Client, user: User, request: ClientRequest) -> QuerySet[User]:
    """Who may own a request: those working on the account (its lead, its projects' managers
    and teams), the user's practice, and whoever owns it already."""
    people = (
        Q(pk=client.account_lead_id)
        | Q(pk__in=Project.objects.filter(client=client).values("manager_id"))
        | Q(pk__in=ProjectMember.objects.filter(project__client=client).values("user_id"))
    )
    if not user.is_read_only:
        people |= Q(pk=user.pk)
    if user.practice_id is not None:
        people |= Q(practice_id=user.practice_id)
    active = Q(people, is_active=True) & ~Q(role=Role.EXECUTIVE)
    if request.owner_id is not None:
        active |= Q(pk=request.owner_id)
    return User.objects.filter(active).only(*NAME_FIELDS)


def now_in_minutes() -> Any:
    return timezone.localtime().replace(second=0, microsecond=0)


class RequestForm(VersionedModelForm):
    # Prefixed: on the client page it sits beside the interaction form, whose ids it would share.
    prefix = "request"

    class Meta:
        model = ClientRequest
        fields = [
            "subject",
            "priority",
            "channel",
            "raised_at",
            "raised_by",
            "project",
            "owner",
            "details",
        ]
        labels = {"raised_at": "Raised at", "raised_by": "Raised by", "owner": "Owner"}
        widgets = {
            "raised_at": DateTimeInput(),
            "details": forms.Textarea(attrs={"rows": 3, "maxlength": 5000}),
        }
        help_texts = {
            "priority": "Sets the first-response target (in business hours).",
            "owner": "Who answers the client.",
        }

    def __init__(self, *args: Any, client: Client, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.instance.client = client
        # Choice lists load only what their labels show.
        projects = Project.objects.filter(client=client).only("id", "name").order_by("name")
        limit_choices(self, "project", projects)
        current = Q(archived_at__isnull=True, left_on__isnull=True)
        if self.instance.raised_by_id is not None:
            current |= Q(pk=self.instance.raised_by_id)
        contacts = Contact.objects.filter(current, client=client).only(
            "id", "first_name", "last_name"
        )
        limit_choices(self, "raised_by", contacts)
        limit_choices(self, "owner", owner_choices(client, user, self.instance))
        if self.instance.pk is None:
            self.initial.setdefault("raised_at", now_in_minutes())
            self.initial.setdefault("priority", Priority.NORMAL)
            self.initial.setdefault("channel", Channel.WRITTEN)
            if not user.is_read_only:
                self.initial.setdefault("owner", user.pk)
        else:
            self.initial["raised_at"] = timezone.localtime(self.instance.raised_at)


class TimeForm(Form):
    """One moment (the first response or the resolution), now by default."""

    field_name = ""
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, request: ClientRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault(self.field_name, now_in_minutes())
        self.initial.setdefault("version", request.version)

    @property
    def at(self) -> Any:
        return self.cleaned_data.get(self.field_name) or timezone.now()

    @property
    def expected_version(self) -> int | None:
        value = self.cleaned_data.get("version")
        return int(value) if value is not None else None


MOMENT_HELP = "In your time zone; now, if left empty."


class RespondForm(TimeForm):
    field_name = "first_response_at"
    first_response_at = forms.DateTimeField(
        label="First response at", widget=DateTimeInput(), help_text=MOMENT_HELP, required=False
    )


class ResolveForm(TimeForm):
    field_name = "resolved_at"
    resolved_at = forms.DateTimeField(
        label="Resolved at", widget=DateTimeInput(), help_text=MOMENT_HELP, required=False
    )
