from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.forms import HiddenInput

from twohats.forms import FilterForm
from twohats.growth.models import OPEN_STAGES, Opportunity, Stage


class OpportunityFilter(filters.FilterSet):
    q = filters.CharFilter(label="Search", method="search")
    client = filters.NumberFilter(field_name="client_id", widget=HiddenInput)
    stage = filters.ChoiceFilter(choices=Stage.choices)
    open = filters.BooleanFilter(method="only_open", label="Open only")
    identified_by = filters.NumberFilter(field_name="identified_by_id", widget=HiddenInput)
    sort = filters.OrderingFilter(
        fields=(("expected_close", "close"), ("value", "value"), ("probability", "probability")),
        label="Sort by",
    )

    class Meta:
        model = Opportunity
        form = FilterForm
        fields = ["q", "client", "stage", "open", "identified_by"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(client__name__icontains=value))

    def only_open(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return (
            queryset.filter(stage__in=OPEN_STAGES)
            if value
            else queryset.exclude(stage__in=OPEN_STAGES)
        )
