"""One filterset for client requests: the HTML list, its CSV export and the API list."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.forms import HiddenInput
from django.utils import timezone

from twohats.forms import FilterForm
from twohats.interactions.models import ClientRequest, Priority
from twohats.interactions.requests import awaiting
from twohats.people.models import NAME_FIELDS, Role, User


class Status:
    OPEN = "open"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    OVERDUE = "overdue"

    choices = [
        (OPEN, "Awaiting response"),
        (ANSWERED, "Answered, not resolved"),
        (RESOLVED, "Resolved"),
        (OVERDUE, "Overdue (no response, past due)"),
    ]
    values = [value for value, _ in choices]


def owners() -> QuerySet[User]:
    return User.objects.filter(is_active=True).exclude(role=Role.EXECUTIVE).only(*NAME_FIELDS)


class RequestFilter(filters.FilterSet):
    q = filters.CharFilter(label="Search", method="search")
    client = filters.NumberFilter(field_name="client_id", widget=HiddenInput)
    project = filters.NumberFilter(field_name="project_id", widget=HiddenInput)
    owner = filters.ModelChoiceFilter(queryset=owners(), label="Owner")
    priority = filters.ChoiceFilter(choices=Priority.choices)
    status = filters.ChoiceFilter(choices=Status.choices, method="with_status", label="Status")
    missed = filters.BooleanFilter(method="with_missed_sla", label="SLA missed")
    since = filters.DateFilter(field_name="raised_at", lookup_expr="date__gte", label="From")
    until = filters.DateFilter(field_name="raised_at", lookup_expr="date__lte", label="To")
    sort = filters.OrderingFilter(
        fields=(("raised_at", "raised"), ("due_at", "due"), ("response_minutes", "response")),
        label="Sort by",
    )

    class Meta:
        model = ClientRequest
        form = FilterForm
        fields = ["q", "client", "project", "owner", "priority", "status", "missed"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(subject__icontains=value)
            | Q(details__icontains=value)
            | Q(client__name__icontains=value)
        )

    def with_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == Status.OPEN:
            return queryset.filter(first_response_at__isnull=True)
        if value == Status.ANSWERED:
            return queryset.filter(first_response_at__isnull=False, resolved_at__isnull=True)
        if value == Status.RESOLVED:
            return queryset.filter(resolved_at__isnull=False)
        if value == Status.OVERDUE:
            return queryset.filter(awaiting(timezone.now()))
        return queryset

    def with_missed_sla(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        """Answered late, or still unanswered past the deadline."""
        if value is None:
            return queryset
        missed = Q(breached=True) | awaiting(timezone.now())
        return queryset.filter(missed) if value else queryset.exclude(missed)
