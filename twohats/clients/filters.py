"""One filterset per list: it drives the HTML list, its CSV export and the API list."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet
from django.forms import HiddenInput

from twohats.clients.models import Client, ClientStatus, Contact, Industry, Stance, Tier
from twohats.forms import FilterForm
from twohats.people.models import NAME_FIELDS, Role, User


def filter_archived(queryset: QuerySet, name: str, value: str) -> QuerySet:
    if value == "archived":
        return queryset.filter(archived_at__isnull=False)
    if value == "all":
        return queryset
    return queryset.filter(archived_at__isnull=True)


ARCHIVED_CHOICES = [("", "Current"), ("archived", "Archived"), ("all", "Current and archived")]


class ArchivedFilterSet(filters.FilterSet):
    """Archived records leave lists unless asked for; the filter applies even when absent."""

    archived = filters.ChoiceFilter(
        choices=ARCHIVED_CHOICES[1:], empty_label="Current", method=filter_archived, label="Show"
    )

    @property
    def qs(self) -> QuerySet:
        queryset = super().qs
        if not self.form.cleaned_data.get("archived"):
            queryset = queryset.filter(archived_at__isnull=True)
        return queryset


def account_leads() -> QuerySet[User]:
    return User.objects.filter(role__in=[Role.PM, Role.DIRECTOR], is_active=True).only(*NAME_FIELDS)


class ClientFilter(ArchivedFilterSet):
    q = filters.CharFilter(label="Search", method="search")
    industry = filters.ChoiceFilter(choices=Industry.choices)
    tier = filters.ChoiceFilter(choices=Tier.choices)
    status = filters.ChoiceFilter(choices=ClientStatus.choices)
    account_lead = filters.ModelChoiceFilter(queryset=account_leads(), label="Account lead")
    sort = filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("industry", "industry"),
            ("tier", "tier"),
            ("updated_at", "updated"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Client
        form = FilterForm
        fields = ["q", "industry", "tier", "status", "account_lead", "archived"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value) | Q(city__icontains=value))


class ContactFilter(ArchivedFilterSet):
    q = filters.CharFilter(label="Search", method="search")
    client = filters.NumberFilter(field_name="client_id", widget=HiddenInput)
    stance = filters.ChoiceFilter(choices=Stance.choices)
    power = filters.NumberFilter(field_name="power", lookup_expr="gte", label="Power at least")
    interest = filters.NumberFilter(
        field_name="interest", lookup_expr="gte", label="Interest at least"
    )
    active = filters.BooleanFilter(
        field_name="left_on", lookup_expr="isnull", label="Still at the client"
    )

    class Meta:
        model = Contact
        form = FilterForm
        fields = ["q", "client", "stance", "power", "interest", "active", "archived"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(title__icontains=value)
            | Q(email__icontains=value)
        )
