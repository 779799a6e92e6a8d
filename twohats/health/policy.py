"""The health policy's content: weights, thresholds, calendar, SLAs and alert rules.

A policy is data, stored as JSON in versioned `HealthPolicy` rows and validated here. Signals are
named `<dimension>.<signal>`; a signal the policy does not weigh is not scored, so new signals
(delivery, voice) join by adding them to the registry and to a new policy version.

Every group below the dimensions has defaults for each of its keys, so that a version stored
before a key existed still loads, with the key at its default.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from twohats.projects import evm

Weight = Annotated[float, Field(ge=0, le=100)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SignalPolicy(Strict):
    """A raw value scores 100 at `good` or better, 0 at `bad` or worse, linearly between."""

    weight: Weight
    good: float
    bad: float

    @model_validator(mode="after")
    def thresholds_differ(self) -> SignalPolicy:
        if self.good == self.bad:
            raise ValueError("good and bad thresholds must differ")
        return self

    def score(self, raw: float) -> float:
        share = (raw - self.bad) / (self.good - self.bad)
        return 100.0 * min(1.0, max(0.0, share))


class DimensionPolicy(Strict):
    weight: Weight
    signals: dict[str, SignalPolicy]

    @model_validator(mode="after")
    def signal_weights_sum_to_100(self) -> DimensionPolicy:
        total = sum(s.weight for s in self.signals.values())
        if self.signals and abs(total - 100) > 1e-6:
            raise ValueError(f"the weights of its signals sum to {total:g}, not 100")
        return self


class Bands(Strict):
    green: float = Field(70, ge=0, le=100, description="green at or above")
    amber: float = Field(50, ge=0, le=100, description="amber at or above, red below")

    @model_validator(mode="after")
    def ordered(self) -> Bands:
        if not self.amber < self.green:
            raise ValueError("the amber threshold must be below the green one")
        return self

    def of(self, score: float | None) -> str:
        if score is None:
            return "unknown"
        return "green" if score >= self.green else "amber" if score >= self.amber else "red"


class Calendar(Strict):
    """The firm's business hours, in each client's own time zone."""

    working_days: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 is Monday")
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(17, 0)
    holidays: list[dt.date] = []

    @field_validator("working_days")
    @classmethod
    def valid_days(cls, days: list[int]) -> list[int]:
        if not days or any(d not in range(7) for d in days):
            raise ValueError("working days are numbers 0 (Monday) to 6 (Sunday), at least one")
        return sorted(set(days))

    @model_validator(mode="after")
    def day_ordered(self) -> Calendar:
        if not self.day_start < self.day_end:
            raise ValueError("the working day must end after it starts")
        return self

    @property
    def minutes_per_day(self) -> int:
        start = self.day_start.hour * 60 + self.day_start.minute
        return self.day_end.hour * 60 + self.day_end.minute - start


class Sla(Strict):
    """First-response targets in business minutes, by priority."""

    critical: int = Field(4 * 60, gt=0)
    high: int = Field(8 * 60, gt=0, description="one business day of 8 hours")
    normal: int = Field(16 * 60, gt=0)
    low: int = Field(40 * 60, gt=0)

    @model_validator(mode="after")
    def ordered(self) -> Sla:
        if not self.critical <= self.high <= self.normal <= self.low:
            raise ValueError("targets must not shorten as priority falls")
        return self

    def minutes(self, priority: str) -> int:
        return int(getattr(self, priority))


ROLE_NAMES = ("implementer", "coach", "entrepreneur", "politician", "friend", "marketer")


class Rules(Strict):
    """Thresholds of the early-warning rules."""

    silent_days: dict[str, int] = {"strategic": 14, "key": 21, "standard": 45}
    face_to_face_days: int = Field(30, gt=0)
    breach_share_max: float = Field(0.2, ge=0, le=1)
    coverage_days: int = Field(90, gt=0)
    single_thread_min_interactions: int = Field(4, gt=0)
    key_contact_days: int = Field(30, gt=0)
    role_ending_days: int = Field(90, gt=0)
    role_window_days: int = Field(90, gt=0)
    role_distance_max: float = Field(0.35, ge=0, le=1)
    sentiment_last_n: int = Field(5, gt=0)
    sentiment_floor: float = Field(-0.5, ge=-2, le=2)
    sentiment_drop: float = Field(1.0, gt=0)
    health_drop_points: float = Field(15, gt=0)
    health_drop_days: int = Field(30, gt=0)
    native_weeks: int = Field(8, gt=0)
    native_site_share: float = Field(0.8, ge=0, le=1)
    native_home_absence_days: int = Field(15, gt=0, description="workdays without the office")
    native_rotation_years: float = Field(3, gt=0)
    native_absorbed_count: int = Field(
        3, gt=0, description="absorbed change requests in the window that raise the severity"
    )
    native_absorbed_share: float = Field(
        0.05, gt=0, le=1, description="absorbed value, as a share of budgets, that raises it"
    )
    escalation_days: int = Field(2, gt=0)
    divergence_red_below: float = Field(
        50.0, ge=0, le=100, description="a delivery or relationship score below this is red"
    )
    divergence_green_at: float = Field(
        70.0, ge=0, le=100, description="...and at or above this, green"
    )

    @model_validator(mode="after")
    def divergence_ordered(self) -> Rules:
        if not self.divergence_red_below < self.divergence_green_at:
            raise ValueError("the divergence red threshold must be below the green one")
        return self


class IndexBands(Strict):
    """The traffic light of an earned-value index where higher is better (SPI, CPI)."""

    green_at: float = Field(0.95, gt=0, description="green at or above")
    amber_at: float = Field(0.90, gt=0, description="amber at or above, red below")

    @model_validator(mode="after")
    def ordered(self) -> IndexBands:
        if not self.amber_at < self.green_at:
            raise ValueError("the amber threshold must be below the green one")
        return self

    def of(self, value: float | None) -> str:
        return evm.band(value, green_at=self.green_at, amber_at=self.amber_at) or "unknown"

    def limit(self, band: str) -> float | None:
        """The threshold a value of this band falls short of (None when green)."""
        return {"amber": self.green_at, "red": self.amber_at}.get(band)


class Delivery(Strict):
    """Earned-value bands and change control."""

    spi: IndexBands = IndexBands()
    cpi: IndexBands = IndexBands()
    pending_change_days: int = Field(
        14, gt=0, description="a change request pending longer than this is flagged"
    )


class Surveys(Strict):
    """Client surveys: when to invite, and how many answers a score needs before it is shown."""

    min_n: int = Field(
        5, gt=0, description="fewest responses behind a score that is shown (NPS, CSAT, trust)"
    )
    invitation_expiry_days: int = Field(30, gt=0, description="an invitation's link expires")
    min_days_between_invitations: int = Field(
        90, gt=0, description="a contact is invited at most once in this many days"
    )
    cadence_days: int = Field(91, gt=0, description="the cadence of invitations (quarterly)")
    window_days: int = Field(365, gt=0, description="responses this recent make the latest scores")
    alert_days: int = Field(
        30, gt=0, description="a detractor's response raises an alert for this many days"
    )
    nps_fall_points: int = Field(
        2, gt=0, le=10, description="a contact's score falling this much raises an alert"
    )


class PolicyConfig(Strict):
    dimensions: dict[str, DimensionPolicy]
    bands: Bands = Bands()
    calendar: Calendar = Calendar()
    sla: Sla = Sla()
    rules: Rules = Rules()
    delivery: Delivery = Delivery()
    surveys: Surveys = Surveys()
    role_target: dict[str, float] = Field(
        default={
            "implementer": 40,
            "coach": 12,
            "entrepreneur": 12,
            "politician": 12,
            "friend": 12,
            "marketer": 12,
        },
        description="the firm's target mix of the PM's six roles, in per cent",
    )

    @model_validator(mode="after")
    def weights_sum_to_100(self) -> PolicyConfig:
        total = sum(d.weight for d in self.dimensions.values())
        if abs(total - 100) > 1e-6:
            raise ValueError(f"the weights of the dimensions sum to {total:g}, not 100")
        if set(self.role_target) != set(ROLE_NAMES):
            raise ValueError(f"the role target names each of {', '.join(ROLE_NAMES)} once")
        mix = sum(self.role_target.values())
        if abs(mix - 100) > 1e-6 or min(self.role_target.values()) < 0:
            raise ValueError(f"the role target mix sums to {mix:g} %, not 100 %")
        return self

    def signal(self, name: str) -> SignalPolicy | None:
        dimension, _, signal = name.partition(".")
        found = self.dimensions.get(dimension)
        return found.signals.get(signal) if found else None


# The dimension the delivery hat is scored on; every other dimension is relationship health.
DELIVERY = "delivery"

DELIVERY_DIMENSION: dict[str, Any] = {
    "weight": 20,
    "signals": {
        # SPI and CPI score 100 at 0.95 (the green band) and 0 at 0.85: the red band's 0.90
        # is half-way, where a dimension turns red.
        "spi": {"weight": 30, "good": 0.95, "bad": 0.85},
        "cpi": {"weight": 30, "good": 0.95, "bad": 0.85},
        "milestone_slippage_days": {"weight": 15, "good": 0, "bad": 30},
        "burn_vs_progress": {"weight": 15, "good": 0.05, "bad": 0.2},
        "pending_changes": {"weight": 10, "good": 0, "bad": 3},
    },
}

# The client's voice, from surveys: each signal needs the policy's minimum of responses. The
# trends (migration 0006) took their 25 points from the others in proportion (35, 20, 30, 15).
VOICE_DIMENSION: dict[str, Any] = {
    "weight": 20,
    "signals": {
        "nps": {"weight": 26.25, "good": 50, "bad": -20},
        "csat": {"weight": 15, "good": 0.9, "bad": 0.6},
        "trust": {"weight": 22.5, "good": 6, "bad": 4},
        # How far apart the client rates the PM and the firm (0–10), either way round.
        "pm_vs_firm_gap": {"weight": 11.25, "good": 0.5, "bad": 3},
        # The later half of the window less the earlier half: a fall of 20 NPS points, or of a
        # point of trust on its 1–7 scale, scores 0.
        "nps_trend": {"weight": 15, "good": 0, "bad": -20},
        "trust_trend": {"weight": 10, "good": 0, "bad": -1},
    },
}

# The other dimensions keep their proportions over the 80 points voice leaves them.
DEFAULT_CONFIG: dict[str, Any] = {
    "dimensions": {
        DELIVERY: {**DELIVERY_DIMENSION, "weight": 16},
        "voice": VOICE_DIMENSION,
        "presence": {
            "weight": 20,
            "signals": {
                "days_since_face_to_face": {"weight": 60, "good": 30, "bad": 60},
                "interactions_30d": {"weight": 40, "good": 8, "bad": 1},
            },
        },
        "coverage": {
            "weight": 16,
            "signals": {
                "high_power_engaged_share": {"weight": 50, "good": 0.8, "bad": 0.2},
                "engaged_contacts_90d": {"weight": 30, "good": 5, "bad": 1},
                "representative_continuity": {"weight": 20, "good": 1, "bad": 0},
            },
        },
        "responsiveness": {
            "weight": 12,
            "signals": {
                "median_response_vs_sla": {"weight": 50, "good": 0.5, "bad": 1.5},
                "breach_share_90d": {"weight": 50, "good": 0.05, "bad": 0.3},
            },
        },
        "sentiment": {
            "weight": 8,
            "signals": {
                "mean_90d": {"weight": 60, "good": 1.0, "bad": -0.5},
                "trend_30d": {"weight": 40, "good": 0.0, "bad": -1.0},
            },
        },
        "growth": {
            "weight": 8,
            "signals": {
                "pipeline_vs_budget": {"weight": 100, "good": 0.3, "bad": 0.0},
            },
        },
    },
}


def parse(config: dict[str, Any]) -> PolicyConfig:
    return PolicyConfig.model_validate(config)
