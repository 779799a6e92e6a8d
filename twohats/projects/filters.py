from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.forms import HiddenInput

from twohats.clients.filters import ArchivedFilterSet, account_leads
from twohats.forms import FilterForm
from twohats.projects.models import ContractType, Project, ProjectStatus


class ProjectFilter(ArchivedFilterSet):
    q = filters.CharFilter(label="Search", method="search")
    client = filters.NumberFilter(field_name="client_id", widget=HiddenInput)
    status = filters.ChoiceFilter(choices=ProjectStatus.choices)
    contract_type = filters.ChoiceFilter(choices=ContractType.choices)
    manager = filters.ModelChoiceFilter(queryset=account_leads(), label="Project manager")
    sort = filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("start_date", "start"),
            ("end_date", "end"),
            ("budget", "budget"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Project
        form = FilterForm
        fields = ["q", "client", "status", "contract_type", "manager", "archived"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(client__name__icontains=value)
        )
