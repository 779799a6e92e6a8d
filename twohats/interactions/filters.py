from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.forms import HiddenInput

from twohats.forms import FilterForm
from twohats.interactions.models import ROLE_NAMES, ROLES, Channel, Interaction, Kind, Location


class InteractionFilter(filters.FilterSet):
    q = filters.CharFilter(label="Search", method="search")
    client = filters.NumberFilter(field_name="client_id", widget=HiddenInput)
    project = filters.NumberFilter(field_name="project_id", widget=HiddenInput)
    kind = filters.ChoiceFilter(choices=Kind.choices)
    channel = filters.ChoiceFilter(choices=Channel.choices)
    location = filters.ChoiceFilter(choices=Location.choices)
    role = filters.ChoiceFilter(
        choices=[(name, label) for name, label, _ in ROLES], method="with_role", label="Role"
    )
    since = filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte", label="From")
    until = filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte", label="To")
    logged_by = filters.NumberFilter(field_name="logged_by_id", widget=HiddenInput)
    open_next_step = filters.BooleanFilter(method="with_open_next_step", label="Open next step")

    class Meta:
        model = Interaction
        form = FilterForm
        fields = ["q", "client", "project", "kind", "channel", "location", "role", "since", "until"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(summary__icontains=value) | Q(next_step__icontains=value))

    def with_role(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value not in ROLE_NAMES:
            return queryset.none()
        return queryset.filter(**{f"role_{value}": True})

    def with_open_next_step(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        has_open = Q(next_step__gt="", next_step_done_at__isnull=True)
        return queryset.filter(has_open) if value else queryset.exclude(has_open)
