"""The portfolio's filterset: it drives the page, its CSV export and the API list."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import F, Q, QuerySet

from twohats.clients.filters import account_leads
from twohats.clients.models import Client, Industry, Tier
from twohats.forms import FilterForm
from twohats.people.models import Practice
from twohats.projects.models import Project

BAND_CHOICES = [
    ("red", "Red"),
    ("amber", "Amber"),
    ("green", "Green"),
    ("unknown", "Unknown (no data)"),
]

# Scores missing (no snapshot, or no data at all) sort after every score, whichever the order.
SORTS: dict[str, tuple[Any, ...]] = {
    "worst": (F("health_score").asc(nulls_last=True), "name", "id"),
    "best": (F("health_score").desc(nulls_last=True), "name", "id"),
    "fallen": (F("health_change").asc(nulls_last=True), "name", "id"),
    "risen": (F("health_change").desc(nulls_last=True), "name", "id"),
    "name": ("name", "id"),
}
SORT_CHOICES = [
    ("best", "Best first"),
    ("fallen", "Largest fall"),
    ("risen", "Largest rise"),
    ("name", "Name"),
]


class PortfolioFilter(filters.FilterSet):
    """Filters clients annotated by `selectors.with_health`."""

    q = filters.CharFilter(label="Search", method="search")
    practice = filters.ModelChoiceFilter(
        queryset=Practice.objects.only("id", "name"),
        field_name="account_lead__practice",
        label="Practice",
    )
    account_lead = filters.ModelChoiceFilter(queryset=account_leads(), label="PM")
    industry = filters.ChoiceFilter(choices=Industry.choices)
    tier = filters.ChoiceFilter(choices=Tier.choices)
    band = filters.ChoiceFilter(choices=BAND_CHOICES, field_name="health_band", label="Band")
    sort = filters.ChoiceFilter(
        choices=SORT_CHOICES, empty_label="Worst first", method="order", label="Sort by"
    )

    class Meta:
        model = Client
        form = FilterForm
        fields = ["q", "practice", "account_lead", "industry", "tier", "band", "sort"]

    @property
    def qs(self) -> QuerySet:
        queryset = super().qs
        if not self.form.cleaned_data.get("sort"):
            queryset = queryset.order_by(*SORTS["worst"])
        return queryset

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(name__icontains=value))

    def order(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*SORTS.get(value, SORTS["worst"]))


# ---------------------------------------------------------------------------------------------
# Delivery: projects by SPI/CPI quadrant

QUADRANTS: dict[str, tuple[str, Q]] = {
    "behind_over": (
        "Behind schedule, over budget",
        Q(report_spi__lt=1, report_cpi__lt=1),
    ),
    "behind_under": (
        "Behind schedule, within budget",
        Q(report_spi__lt=1, report_cpi__gte=1),
    ),
    "ahead_over": (
        "On or ahead of schedule, over budget",
        Q(report_spi__gte=1, report_cpi__lt=1),
    ),
    "ahead_under": (
        "On or ahead of schedule, within budget",
        Q(report_spi__gte=1, report_cpi__gte=1),
    ),
}
QUADRANT_CHOICES = [
    *((name, label) for name, (label, _) in QUADRANTS.items()),
    ("unknown", "No SPI or CPI yet"),
]
DELIVERY_SORTS: dict[str, tuple[Any, ...]] = {
    "worst": (
        F("report_spi").asc(nulls_last=True),
        F("report_cpi").asc(nulls_last=True),
        "name",
        "id",
    ),
    "cpi": (
        F("report_cpi").asc(nulls_last=True),
        F("report_spi").asc(nulls_last=True),
        "name",
        "id",
    ),
    "name": ("name", "id"),
}


class DeliveryFilter(filters.FilterSet):
    """Filters projects annotated by `selectors.delivery_rows`, like the portfolio's clients:
    by practice and PM (the project's manager), the client's industry and tier."""

    q = filters.CharFilter(label="Search", method="search")
    practice = filters.ModelChoiceFilter(
        queryset=Practice.objects.only("id", "name"),
        field_name="manager__practice",
        label="Practice",
    )
    manager = filters.ModelChoiceFilter(queryset=account_leads(), label="PM")
    industry = filters.ChoiceFilter(choices=Industry.choices, field_name="client__industry")
    tier = filters.ChoiceFilter(choices=Tier.choices, field_name="client__tier")
    quadrant = filters.ChoiceFilter(
        label="Quadrant", choices=QUADRANT_CHOICES, field_name="quadrant"
    )
    sort = filters.ChoiceFilter(
        choices=[("cpi", "Lowest CPI first"), ("name", "Name")],
        empty_label="Lowest SPI first",
        method="order",
        label="Sort by",
    )

    class Meta:
        model = Project
        form = FilterForm
        fields = ["q", "practice", "manager", "industry", "tier", "quadrant", "sort"]

    @property
    def qs(self) -> QuerySet:
        queryset = super().qs
        if not self.form.cleaned_data.get("sort"):
            queryset = queryset.order_by(*DELIVERY_SORTS["worst"])
        return queryset

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(client__name__icontains=value)
        )

    def order(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*DELIVERY_SORTS.get(value, DELIVERY_SORTS["worst"]))
