from __future__ import annotations

import django_filters as filters
from django.forms import HiddenInput

from twohats.forms import FilterForm
from twohats.people.models import WorkdayLocation


class WorkdayLocationFilter(filters.FilterSet):
    user = filters.NumberFilter(field_name="user_id", widget=HiddenInput)
    client = filters.NumberFilter(field_name="client_id", widget=HiddenInput)
    kind = filters.ChoiceFilter(choices=WorkdayLocation.Kind.choices)
    since = filters.DateFilter(field_name="date", lookup_expr="gte", label="From")
    until = filters.DateFilter(field_name="date", lookup_expr="lte", label="To")

    class Meta:
        model = WorkdayLocation
        form = FilterForm
        fields = ["user", "client", "kind", "since", "until"]
