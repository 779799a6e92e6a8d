"""The alerts list: one filterset drives the HTML list, its CSV export and the API list."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Prefetch, Q, QuerySet
from django.forms import HiddenInput

from twohats.alerts.models import LIVE, Alert, Rule, Severity, Status
from twohats.clients.filters import account_leads
from twohats.clients.models import Client
from twohats.forms import FilterForm
from twohats.people.models import NAME_FIELDS, User
from twohats.projects.models import Project

STATUS_CHOICES = [*Status.choices, ("all", "All")]
LIVE_LABEL = "Live (open, acknowledged, snoozed)"
OWNER_CHOICES = [("mine", "Me")]

# Most severe first, then the longest-standing: the order in which to act.
ORDERING = ("-severity", "opened_at", "id")


def with_subjects(queryset: QuerySet[Alert]) -> QuerySet[Alert]:
    """What a row shows of an alert's client, project and people, read after the alerts: a
    join before the sort and the limit would read every client and project."""
    people = User.objects.only(*NAME_FIELDS)
    return queryset.prefetch_related(
        Prefetch("client", Client.objects.only("id", "name")),
        Prefetch("project", Project.objects.only("id", "name", "client_id")),
        Prefetch("pm", people),
        Prefetch("owner", people),
    )


def alert_rows(user: User) -> QuerySet[Alert]:
    """The alerts a user may see, with what a row of the list shows, in the order to act."""
    return with_subjects(Alert.objects.visible_to(user)).order_by(*ORDERING)


def filter_status(queryset: QuerySet, name: str, value: str) -> QuerySet:
    if value == "all":
        return queryset
    return queryset.filter(status=value)


class AlertFilter(filters.FilterSet):
    """Live alerts unless another status is asked for; `owner=mine` needs the request."""

    q = filters.CharFilter(label="Search", method="search")
    status = filters.ChoiceFilter(
        choices=STATUS_CHOICES, empty_label=LIVE_LABEL, method=filter_status, label="Status"
    )
    severity = filters.ChoiceFilter(choices=Severity.choices, label="Severity", empty_label="Any")
    rule = filters.ChoiceFilter(choices=Rule.choices, label="Kind", empty_label="Any")
    client = filters.NumberFilter(method="of_client", widget=HiddenInput)
    owner = filters.ChoiceFilter(
        choices=OWNER_CHOICES, method="owned", label="Owner", empty_label="Anyone"
    )
    pm = filters.ModelChoiceFilter(
        queryset=account_leads(), field_name="pm", label="PM", empty_label="Any"
    )

    class Meta:
        model = Alert
        form = FilterForm
        fields = ["q", "status", "severity", "rule", "owner", "pm", "client"]

    @property
    def qs(self) -> QuerySet:
        queryset = super().qs
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=LIVE)
        return queryset

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(client__name__icontains=value))

    def of_client(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        """The client's own alerts and those of its projects."""
        return queryset.filter(Q(client_id=value) | Q(project__client_id=value))

    def owned(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        user = getattr(self.request, "user", None)
        if value != "mine" or not isinstance(user, User):
            return queryset.none()
        return queryset.filter(owner=user)
