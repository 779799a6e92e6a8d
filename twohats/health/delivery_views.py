"""The delivery portfolio: active projects by SPI/CPI quadrant, as a scatter chart with the
numbers in a table beside it (and as CSV), filtered like the portfolio of clients."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse

from twohats.health.filters import QUADRANT_CHOICES, QUADRANTS, DeliveryFilter
from twohats.health.models import HealthPolicy
from twohats.health.policy import PolicyConfig
from twohats.health.selectors import (
    SCATTER_LIMIT,
    delivery_rows,
    quadrant_counts,
    scatter_points,
)
from twohats.health.views import _base, _dumps
from twohats.web import list_page, user_of

QUADRANT_LABELS = dict(QUADRANT_CHOICES)

# Each quadrant its own symbol and colour, so that neither alone carries the meaning; the worst
# (behind and over) a filled triangle in the warning colour.
QUADRANT_STYLES = {
    "behind_over": ("triangle", "#b0263c"),
    "behind_under": ("diamond", "#b8520a"),
    "ahead_over": ("rect", "#7a3e9d"),
    "ahead_under": ("circle", "#2a7d4f"),
}


def _index(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


DELIVERY_COLUMNS = [
    ("id", lambda p: p.pk),
    ("project", lambda p: p.name),
    ("client", lambda p: p.client.name),
    ("PM", lambda p: p.manager),
    ("practice", lambda p: p.manager.practice or ""),
    ("industry", lambda p: p.client.get_industry_display()),
    ("tier", lambda p: p.client.get_tier_display()),
    ("report date", lambda p: p.report_date),
    ("SPI", lambda p: _index(p.report_spi)),
    ("CPI", lambda p: _index(p.report_cpi)),
    ("RAG", lambda p: p.report_rag or ""),
    ("quadrant", lambda p: QUADRANT_LABELS.get(p.quadrant, "")),
]


@login_required
def delivery_portfolio(request: HttpRequest) -> HttpResponseBase:
    """Projects by SPI and CPI: who is behind schedule, who is over budget, who is both."""
    user = user_of(request)
    filterset = DeliveryFilter(request.GET, queryset=delivery_rows(user))
    policy = HealthPolicy.objects.active().rules
    context: dict[str, Any] = {
        "spi_bands": policy.delivery.spi,
        "cpi_bands": policy.delivery.cpi,
        "quadrant_labels": QUADRANT_CHOICES,
    }
    if request.GET.get("format") != "csv" and filterset.is_valid():
        # Each quadrant's count, under the other filters, links to the list narrowed to it.
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("quadrant", None)
        others = DeliveryFilter(query, queryset=delivery_rows(user))
        counts = []
        for name, count in quadrant_counts(others.qs).items():
            query["quadrant"] = name
            counts.append((name, QUADRANT_LABELS[name], count, query.urlencode()))
        points = scatter_points(filterset.qs)
        context |= {
            "counts": counts,
            "plotted": min(len(points), SCATTER_LIMIT),
            "more_points": len(points) > SCATTER_LIMIT,
        }
        plotted = points[:SCATTER_LIMIT]
        if plotted:
            counted = _counted(plotted)
            context |= {
                "scatter": scatter_chart(plotted, policy),
                "scatter_summary": scatter_summary(plotted),
                "scatter_table": {
                    "headers": ["Quadrant", "Projects plotted"],
                    "rows": [[QUADRANT_LABELS[name], n] for name, n in counted.items()],
                },
            }
    return list_page(
        request,
        filterset=filterset,
        template="health/delivery.html",
        columns=DELIVERY_COLUMNS,
        filename="delivery",
        context=context,
    )


def _counted(points: list[dict[str, Any]]) -> dict[str, int]:
    counted = dict.fromkeys(QUADRANTS, 0)
    for point in points:
        counted[point["quadrant"]] += 1
    return counted


def scatter_summary(points: list[dict[str, Any]]) -> str:
    counted = _counted(points)
    parts = [f"{count} {QUADRANT_LABELS[name].lower()}" for name, count in counted.items() if count]
    return (
        f"{len(points)} project{'s' if len(points) != 1 else ''} by their latest SPI "
        f"(across) and CPI (up): {'; '.join(parts)}. Each quadrant has its own symbol; the "
        "dashed lines are SPI 1.0 and CPI 1.0."
    )


def _extent(values: list[float]) -> tuple[float, float]:
    """An axis that shows 1.0 and every value with a margin, in steps of 0.05."""
    low, high = min([*values, 0.8]), max([*values, 1.2])
    return (max(0.0, round(int(low * 20 - 1) / 20, 2)), round((int(high * 20) + 2) / 20, 2))


def scatter_chart(points: list[dict[str, Any]], policy: PolicyConfig) -> str:
    """Each project a point at (SPI, CPI), one series per quadrant with its own symbol and the
    quadrant's name written in its corner; a click opens the project."""
    x_min, x_max = _extent([p["report_spi"] for p in points])
    y_min, y_max = _extent([p["report_cpi"] for p in points])
    corners: dict[str, tuple[list[float], list[float], str]] = {
        "behind_over": ([x_min, y_min], [1, 1], "insideBottomLeft"),
        "behind_under": ([x_min, 1], [1, y_max], "insideTopLeft"),
        "ahead_over": ([1, y_min], [x_max, 1], "insideBottomRight"),
        "ahead_under": ([1, 1], [x_max, y_max], "insideTopRight"),
    }
    # One reversal for all points: thousands of `reverse` calls took half the page's time.
    project_url = reverse("projects:detail", args=[0]).replace("/0/", "/{}/")
    series: list[dict[str, Any]] = []
    for name, (label, _) in QUADRANTS.items():
        symbol, colour = QUADRANT_STYLES[name]
        (x0, y0), (x1, y1), position = corners[name]
        series.append(
            {
                "name": label,
                "type": "scatter",
                "symbol": symbol,
                "symbolSize": 11,
                "itemStyle": {"color": colour, "borderColor": "#212529", "borderWidth": 0.5},
                "data": [
                    {
                        "name": f"{p['name']} ({p['client__name']})",
                        "value": [round(p["report_spi"], 3), round(p["report_cpi"], 3)],
                        "url": project_url.format(p["id"]),
                    }
                    for p in points
                    if p["quadrant"] == name
                ],
                "markArea": {
                    "silent": True,
                    "itemStyle": {"color": colour, "opacity": 0.05},
                    "label": {"position": position, "color": "#495057", "fontSize": 11},
                    "data": [[{"name": label, "coord": [x0, y0]}, {"coord": [x1, y1]}]],
                },
            }
        )
    # The lines of 1.0, and of the policy's red bands, on the first series.
    spi, cpi = policy.delivery.spi, policy.delivery.cpi
    series[0]["markLine"] = {
        "silent": True,
        "symbol": "none",
        "label": {"formatter": "{b}", "fontSize": 11},
        "data": [
            {"name": "SPI 1.0", "xAxis": 1, "lineStyle": {"type": "dashed", "color": "#212529"}},
            {"name": "CPI 1.0", "yAxis": 1, "lineStyle": {"type": "dashed", "color": "#212529"}},
            {
                "name": f"SPI red below {spi.amber_at:.2f}",
                "xAxis": spi.amber_at,
                "lineStyle": {"type": "dotted", "color": "#6c757d"},
            },
            {
                "name": f"CPI red below {cpi.amber_at:.2f}",
                "yAxis": cpi.amber_at,
                "lineStyle": {"type": "dotted", "color": "#6c757d"},
            },
        ],
    }
    option = _base(scatter_summary(points)) | {
        "tooltip": {"trigger": "item", "confine": True},
        "legend": {"top": 0, "type": "scroll"},
        "grid": {"left": 48, "right": 24, "top": 48, "bottom": 44},
        "xAxis": {
            "type": "value",
            "name": "SPI (schedule)",
            "nameLocation": "middle",
            "nameGap": 26,
            "min": x_min,
            "max": x_max,
            "splitLine": {"show": False},
        },
        "yAxis": {
            "type": "value",
            "name": "CPI (cost)",
            "nameLocation": "middle",
            "nameGap": 36,
            "min": y_min,
            "max": y_max,
            "splitLine": {"show": False},
        },
        "series": series,
    }
    return _dumps(option)
