"""Health pages: the portfolio, a client's health card and page, a PM's page."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from twohats.clients.models import Client
from twohats.health.filters import PortfolioFilter
from twohats.health.independence import Week
from twohats.health.models import HealthPolicy
from twohats.health.policy import Bands
from twohats.health.roles import ROLE_LABELS, ROLE_ORDER
from twohats.health.selectors import (
    IndependenceView,
    Point,
    RoleBalance,
    band_counts,
    client_health,
    person_page,
    pms_visible_to,
    portfolio_dates,
    portfolio_rows,
    role_balance,
)
from twohats.surveys.selectors import PmRolesSeen
from twohats.web import get_visible, list_page, user_of

PORTFOLIO_COLUMNS = [
    ("id", lambda c: c.pk),
    ("client", lambda c: c.name),
    ("industry", lambda c: c.get_industry_display()),
    ("tier", lambda c: c.get_tier_display()),
    ("account lead", lambda c: c.account_lead),
    ("practice", lambda c: c.account_lead.practice or ""),
    ("date", lambda c: c.health_date),
    ("score", lambda c: _score(c.health_score)),
    ("band", lambda c: c.health_band),
    ("score about 30 days before", lambda c: _score(c.previous_score)),
    ("change", lambda c: _score(c.health_change)),
    ("trend", lambda c: c.health_trend),
]

SIGNAL_LABELS = {
    "presence.days_since_face_to_face": "Days since the last face-to-face meeting",
    "presence.interactions_30d": "Interactions in 30 days",
    "coverage.high_power_engaged_share": "High-power contacts engaged in 90 days",
    "coverage.engaged_contacts_90d": "Contacts engaged in 90 days",
    "coverage.representative_continuity": "Primary representative in place and engaged",
    "responsiveness.median_response_vs_sla": "Median first response against the SLA",
    "responsiveness.breach_share_90d": "Requests past their SLA in 90 days",
    "sentiment.mean_90d": "Mean sentiment over 90 days",
    "sentiment.trend_30d": "Change of sentiment in 30 days",
    "growth.pipeline_vs_budget": "Pipeline and wins against active budgets",
    "delivery.spi": "Schedule performance index (SPI) of the latest status reports",
    "delivery.cpi": "Cost performance index (CPI) of the latest status reports",
    "delivery.milestone_slippage_days": "Days the worst open milestone is late",
    "delivery.burn_vs_progress": "Share of the budget spent ahead of the work done",
    "delivery.pending_changes": "Change requests pending past the policy's limit",
}


def signal_label(name: str) -> str:
    return SIGNAL_LABELS.get(name) or name.partition(".")[2].replace("_", " ").capitalize()


@login_required
def portfolio(request: HttpRequest) -> HttpResponseBase:
    user = user_of(request)
    as_of = portfolio_dates()
    filterset = PortfolioFilter(request.GET, queryset=portfolio_rows(user, as_of))
    context: dict[str, Any] = {"as_of": as_of}
    if request.GET.get("format") != "csv" and filterset.is_valid():
        # Each band's count, under the other filters, links to the list narrowed to that band.
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("band", None)
        others = PortfolioFilter(query, queryset=portfolio_rows(user, as_of))
        counts = []
        for band, count in band_counts(others.qs).items():
            query["band"] = band
            counts.append((band, count, query.urlencode()))
        context["counts"] = counts
    return list_page(
        request,
        filterset=filterset,
        template="health/portfolio.html",
        columns=PORTFOLIO_COLUMNS,
        filename="portfolio",
        context=context,
    )


@login_required
def client_card(request: HttpRequest, pk: int) -> HttpResponse:
    """The health card the client page loads after it has shown."""
    client = get_visible(Client, request, pk, "account_lead")
    return render(request, "health/_client_card.html", _client_context(request, client))


@login_required
def client_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The health card on a page of its own, with each signal's numbers and the history."""
    client = get_visible(Client, request, pk, "account_lead")
    context = _client_context(request, client)
    snapshot = context["snapshot"]
    context["signals"] = [
        {"label": signal_label(name), **values}
        for name, values in (snapshot.signals.items() if snapshot else [])
    ]
    roles = role_balance(client, now=timezone.now(), policy=HealthPolicy.objects.active())
    context |= {"roles": roles} | _roles_context(roles)
    return render(request, "health/client_health.html", context)


def _client_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    context = client_health(client)
    snapshot = context["snapshot"]
    lead_visible = pms_visible_to(user_of(request)).filter(pk=client.account_lead_id).exists()
    context |= {
        "client": client,
        "lead_visible": lead_visible,
        "missing": [signal_label(name) for name in snapshot.missing] if snapshot else [],
    }
    series: list[Point] = context["series"]
    if snapshot and series:
        names = list(snapshot.dimensions)
        context |= {
            "trend_chart": trend_chart(series, snapshot.policy.rules.bands),
            "trend_summary": trend_summary(series),
            "trend_table": {
                "headers": ["Date", "Overall", *(name.capitalize() for name in names)],
                "rows": [
                    [
                        f"{point.date:%Y-%m-%d}",
                        _score(point.overall),
                        *(_score(point.dimensions.get(name)) for name in names),
                    ]
                    for point in series
                ],
            },
        }
    return context


def trend_summary(series: list[Point]) -> str:
    first, last = series[0], series[-1]
    if len(series) == 1:
        return f"One snapshot so far: overall {_words(last.overall)} on {last.date:%Y-%m-%d}."
    scored = [point for point in series if point.overall is not None]
    low = min(scored, key=lambda point: point.overall or 0) if scored else None
    words = (
        f"{len(series)} snapshots from {first.date:%Y-%m-%d} to {last.date:%Y-%m-%d}: overall "
        f"{_words(first.overall)} at the start, {_words(last.overall)} now"
    )
    if low is not None:
        words += f", lowest {_words(low.overall)} on {low.date:%Y-%m-%d}"
    return words + ". Dashed and dotted lines are the dimensions."


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    """A PM's page: role balance, independence and the health of the clients they lead."""
    viewer = user_of(request)
    someone = get_object_or_404(pms_visible_to(viewer).select_related("practice"), pk=pk)
    context = person_page(viewer, someone, now=timezone.now(), today=timezone.localdate())
    context |= _roles_context(context["roles"]) | _places_context(context["independence"])
    context |= _roles_seen_context(context["roles"], context["roles_seen"])
    return render(request, "health/person.html", context)


def _roles_seen_context(roles: RoleBalance, seen: PmRolesSeen) -> dict[str, Any]:
    """Each role's mean client rating beside the PM's logged share of time and the target."""
    rows = []
    for name in ROLE_ORDER:
        rating = seen.roles.get(name)
        n = rating.n if rating else 0
        rows.append(
            {
                "label": ROLE_LABELS[name],
                "mean": rating.mean if rating else None,
                "n": n,
                "share": _per_cent(roles.mix[name]) if roles.mix else "—",
                "target": _per_cent(roles.target[name]),
            }
        )
    return {"roles_seen_rows": rows}


def _roles_context(roles: RoleBalance) -> dict[str, Any]:
    if not roles.mix:
        return {}
    mix, target = roles.mix, roles.target
    shares = ", ".join(
        f"{ROLE_LABELS[name].lower()} {_per_cent(mix[name])} (target {_per_cent(target[name])})"
        for name in ROLE_ORDER
    )
    return {
        "radar_chart": radar_chart(roles),
        "roles_summary": "The dashed hexagon is the target; each axis runs to twice the role's "
        "target, so a point inside the inner ring is a role under half its target. By time: "
        f"{shares}.",
        "roles_table": {
            "headers": ["Role", "Share of time", "Target"],
            "rows": [
                [ROLE_LABELS[name], _per_cent(mix[name]), _per_cent(target[name])]
                for name in ROLE_ORDER
            ],
        },
    }


def _places_context(place: IndependenceView) -> dict[str, Any]:
    context: dict[str, Any] = {}
    weeks = place.weeks
    if any(week.recorded for week in weeks):
        context |= {
            "weeks_chart": weeks_chart(weeks),
            "weeks_summary": (
                f"Over {len(weeks)} weeks: {sum(w.client_site for w in weeks)} days at client "
                f"sites, {sum(w.home_office for w in weeks)} at the home office, "
                f"{sum(w.remote for w in weeks)} remote."
            ),
            "weeks_table": {
                "headers": ["Week of", "Client site", "Home office", "Remote"],
                "rows": [
                    [f"{w.start:%Y-%m-%d}", w.client_site, w.home_office, w.remote] for w in weeks
                ],
            },
        }
    if place.numbers:
        names, hidden = place.client_names, "a client you cannot see"
        top, streak = place.numbers.top_client_id, place.numbers.longest_streak_client_id
        context["top_client_name"] = names.get(top, hidden) if top else ""
        context["streak_client_name"] = names.get(streak, hidden) if streak else ""
    return context


# ---------------------------------------------------------------------------------------------
# Charts: ECharts options as JSON, rendered by static/twohats/charts.js. Each chart is readable
# without colour (patterns on areas and bars, symbols and dashes on lines, labelled series) and
# the page puts its numbers in a table beside it for screen readers.

PALETTE = ["#1f4e9c", "#b8520a", "#2a7d4f", "#7a3e9d", "#8a6d00", "#b0263c", "#4d5d6c"]
SYMBOLS = ["rect", "triangle", "diamond", "emptyCircle", "emptyRect", "emptyTriangle"]
DASHES = ["dashed", "dotted"]


def _dumps(option: dict[str, Any]) -> str:
    return json.dumps(option, separators=(",", ":"))


def _base(description: str) -> dict[str, Any]:
    return {
        "color": PALETTE,
        "aria": {"enabled": True, "label": {"description": description}, "decal": {"show": True}},
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "type": "scroll"},
        "textStyle": {"fontFamily": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
    }


def trend_chart(series: list[Point], bands: Bands) -> str:
    """Overall score and each dimension by date, over the policy's bands."""
    dates = [point.date.isoformat() for point in series]
    names = list(series[-1].dimensions)
    lines: list[dict[str, Any]] = [
        {
            "name": "Overall",
            "type": "line",
            "data": [_score(point.overall) for point in series],
            "symbol": "circle",
            "symbolSize": 7,
            "lineStyle": {"width": 3},
            "z": 3,
            "markArea": {
                "silent": True,
                "label": {"position": "insideLeft", "color": "#495057", "fontSize": 11},
                "data": [
                    [
                        {"name": "Green", "yAxis": bands.green, "itemStyle": {"color": "#d1e7dd"}},
                        {"yAxis": 100},
                    ],
                    [
                        {"name": "Amber", "yAxis": bands.amber, "itemStyle": {"color": "#fff3cd"}},
                        {"yAxis": bands.green},
                    ],
                    [
                        {"name": "Red", "yAxis": 0, "itemStyle": {"color": "#f8d7da"}},
                        {"yAxis": bands.amber},
                    ],
                ],
                "itemStyle": {"opacity": 0.45},
            },
        }
    ]
    for n, name in enumerate(names):
        lines.append(
            {
                "name": name.capitalize(),
                "type": "line",
                "data": [_score(point.dimensions.get(name)) for point in series],
                "symbol": SYMBOLS[n % len(SYMBOLS)],
                "symbolSize": 6,
                "lineStyle": {"width": 1.5, "type": DASHES[n % len(DASHES)]},
                "connectNulls": False,
            }
        )
    first, last = series[0], series[-1]
    description = (
        f"Health from {first.date:%Y-%m-%d} to {last.date:%Y-%m-%d}: overall "
        f"{_words(first.overall)} then {_words(last.overall)}."
    )
    option = _base(description) | {
        "grid": {"left": 36, "right": 16, "top": 56, "bottom": 28, "containLabel": False},
        "xAxis": {"type": "category", "data": dates, "boundaryGap": False},
        "yAxis": {"type": "value", "min": 0, "max": 100, "interval": 25},
        "series": lines,
    }
    return _dumps(option)


def radar_chart(roles: RoleBalance) -> str:
    """The PM's share of time in each role against the firm's target.

    Each axis runs to twice the role's target (or further, to fit the share), so the target is
    a regular hexagon half-way out and a role under half its target (neglected) sits inside the
    inner quarter, whatever the size of the targets."""
    assert roles.mix is not None
    mix = [round(roles.mix[name] * 100, 1) for name in ROLE_ORDER]
    target = [round(roles.target[name] * 100, 1) for name in ROLE_ORDER]
    ceilings = [max(2 * goal, share, 1.0) for goal, share in zip(target, mix, strict=True)]
    option = _base(
        "The share of interaction time in each of the six roles, against the target; each axis "
        "runs to twice the role's target."
    )
    option |= {
        "tooltip": {"trigger": "item", "confine": True},
        "legend": {"bottom": 0, "data": ["Share of time", "Target"]},
        "radar": {
            "indicator": [
                {"name": ROLE_LABELS[name], "max": ceiling}
                for name, ceiling in zip(ROLE_ORDER, ceilings, strict=True)
            ],
            "radius": "58%",
            "center": ["50%", "48%"],
            "splitNumber": 4,
            "axisName": {"color": "#212529", "fontSize": 12},
        },
        "series": [
            {
                "type": "radar",
                "data": [
                    {
                        "name": "Share of time",
                        "value": mix,
                        "symbol": "circle",
                        "symbolSize": 7,
                        "areaStyle": {"opacity": 0.35},
                        "lineStyle": {"width": 2},
                    },
                    {
                        "name": "Target",
                        "value": target,
                        "symbol": "rect",
                        "symbolSize": 6,
                        "lineStyle": {"type": "dashed", "width": 2},
                    },
                ],
            }
        ],
    }
    # On a narrow screen, a smaller web leaves room for the roles' names.
    narrow = {"radar": {"radius": "44%"}}
    return _dumps({"baseOption": option, "media": [{"query": {"maxWidth": 480}, "option": narrow}]})


def weeks_chart(weeks: list[Week]) -> str:
    """Days at client sites, at the home office and remote, week by week, stacked."""
    places = [
        ("Client site", "client_site"),
        ("Home office", "home_office"),
        ("Remote", "remote"),
    ]
    option = _base("Recorded workdays per week: at client sites, at the home office, remote.")
    option |= {
        "color": ["#b8520a", "#1f4e9c", "#6c757d"],
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 32, "right": 8, "top": 36, "bottom": 28},
        "xAxis": {"type": "category", "data": [f"{week.start:%d %b}" for week in weeks]},
        "yAxis": {"type": "value", "minInterval": 1, "name": "days", "nameGap": 8},
        "series": [
            {
                "name": label,
                "type": "bar",
                "stack": "days",
                # Zero as no bar at all, so that empty segments carry no label.
                "data": [getattr(week, field) or None for week in weeks],
                "label": {"show": True, "fontSize": 11},
                "barMaxWidth": 36,
            }
            for label, field in places
        ],
    }
    return _dumps(option)


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _per_cent(share: float) -> str:
    return f"{share * 100:.0f} %"


def _words(value: float | None) -> str:
    return "without data" if value is None else f"{value:.0f}"
