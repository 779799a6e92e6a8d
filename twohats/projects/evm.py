"""Earned value management: pure functions, named as in PMI's Practice Standard for EVM.

Money (BAC, PV, EV, AC and everything in currency) is `Decimal`, rounded half up to the cent;
indices and ratios are `float`. `None` means "not defined": a missing input, a division by zero,
or a budget with nothing left to spend. Nothing here raises on missing or zero data, and nothing
returns inf or NaN, so callers can show "n/a" instead of a wrong number.

Earned schedule follows Lipke ("Schedule is Different", The Measurable News, March 2003), which
the Practice Standard (2nd ed., 2011) carries as Appendix D: time is counted in reporting periods.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from typing import Literal

CENT = Decimal("0.01")
TCPI_HARD = 1.10  # a TCPI above this is widely held to be hard to achieve

Money = Decimal | None
Band = Literal["green", "amber", "red"]


def _ok(*values: Decimal | None) -> bool:
    return all(v is not None and v.is_finite() for v in values)


def _cents(value: Decimal) -> Money:
    try:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the context holds: not a sum of money
        return None


def _ratio(numerator: Money, denominator: Money) -> float | None:
    if numerator is None or denominator is None or not _ok(numerator, denominator):
        return None
    return _real(float(numerator / denominator)) if denominator != 0 else None


def _real(value: float) -> float | None:
    # A huge quotient overflows a float to inf; that is no more defined than a division by zero.
    return value if math.isfinite(value) else None


def schedule_variance(ev: Money, pv: Money) -> Money:
    """SV = EV − PV."""
    return _cents(ev - pv) if ev is not None and pv is not None and _ok(ev, pv) else None


def cost_variance(ev: Money, ac: Money) -> Money:
    """CV = EV − AC."""
    return _cents(ev - ac) if ev is not None and ac is not None and _ok(ev, ac) else None


def schedule_performance_index(ev: Money, pv: Money) -> float | None:
    """SPI = EV / PV."""
    return _ratio(ev, pv)


def cost_performance_index(ev: Money, ac: Money) -> float | None:
    """CPI = EV / AC."""
    return _ratio(ev, ac)


def eac_cpi(bac: Money, ev: Money, ac: Money) -> Money:
    """EAC = BAC / CPI: the cost efficiency to date holds for the rest of the work."""
    if bac is None or ev is None or ac is None or not _ok(bac, ev, ac) or ev == 0 or ac == 0:
        return None
    # BAC / (EV / AC), kept in Decimal so that no float rounding reaches the money.
    return _cents(bac * ac / ev)


def eac_atypical(bac: Money, ev: Money, ac: Money) -> Money:
    """EAC = AC + (BAC − EV): the rest of the work goes at the budgeted rate."""
    if bac is None or ev is None or ac is None or not _ok(bac, ev, ac):
        return None
    return _cents(ac + (bac - ev))


def eac_cpi_spi(bac: Money, pv: Money, ev: Money, ac: Money) -> Money:
    """EAC = AC + (BAC − EV) / (CPI × SPI): cost and schedule efficiency both weigh on the rest."""
    if bac is None or pv is None or ev is None or ac is None or not _ok(bac, pv, ev, ac):
        return None
    if ev == 0 or ac == 0 or pv == 0:
        return None
    # CPI × SPI = EV² / (AC × PV), again in Decimal.
    return _cents(ac + (bac - ev) * ac * pv / (ev * ev))


def estimate_to_complete(eac: Money, ac: Money) -> Money:
    """ETC = EAC − AC."""
    return _cents(eac - ac) if eac is not None and ac is not None and _ok(eac, ac) else None


def variance_at_completion(bac: Money, eac: Money) -> Money:
    """VAC = BAC − EAC."""
    return _cents(bac - eac) if bac is not None and eac is not None and _ok(bac, eac) else None


def _to_complete(work_left: Money, funds_left: Money) -> float | None:
    # With no funds left (target already spent or overspent) no efficiency meets the target:
    # the index is not defined, rather than a negative number that would read as "easy".
    if funds_left is None or not _ok(funds_left) or funds_left <= 0:
        return None
    return _ratio(work_left, funds_left)


def tcpi_bac(bac: Money, ev: Money, ac: Money) -> float | None:
    """TCPI = (BAC − EV) / (BAC − AC): the efficiency needed to finish within the budget."""
    if bac is None or ev is None or ac is None or not _ok(bac, ev, ac):
        return None
    return _to_complete(bac - ev, bac - ac)


def tcpi_eac(bac: Money, ev: Money, ac: Money, eac: Money) -> float | None:
    """TCPI = (BAC − EV) / (EAC − AC): the efficiency needed to finish within the EAC."""
    if bac is None or ev is None or ac is None or eac is None or not _ok(bac, ev, ac, eac):
        return None
    return _to_complete(bac - ev, eac - ac)


def tcpi_is_hard(tcpi: float | None) -> bool:
    """Whether a TCPI is above TCPI_HARD (1.10); an undefined TCPI is not judged."""
    return tcpi is not None and math.isfinite(tcpi) and tcpi > TCPI_HARD


def earned_schedule(ev: Money, planned_curve: Sequence[Decimal]) -> float | None:
    """ES in periods: the time at which the plan said today's EV would be earned (Lipke 2003).

    `planned_curve[i]` is the cumulative PV at the end of period i + 1 (PV at time 0 is 0).
    ES = C + (EV − PV_C) / (PV_C+1 − PV_C), C the number of whole periods with PV_C ≤ EV.
    On a flat stretch of the plan C counts every flat period, so the fraction never divides by
    zero. EV at or above the final PV earns the whole planned duration n, never more. EV = 0
    earns nothing: 0.0. A negative EV, or a curve that is empty, negative or decreasing (not a
    cumulative plan), gives None.
    """
    if ev is None or not _ok(ev) or ev < 0 or not planned_curve:
        return None
    points = list(planned_curve)
    if not _ok(*points) or points[0] < 0 or any(b < a for a, b in pairwise(points)):
        return None
    if ev == 0:
        return 0.0
    if ev >= points[-1]:
        return float(len(points))
    whole = bisect_right(points, ev)  # periods with PV ≤ EV; the curve never decreases
    pv_c = points[whole - 1] if whole else Decimal(0)
    # PV_C ≤ EV < PV_C+1, so the step is positive.
    return whole + float((ev - pv_c) / (points[whole] - pv_c))


def _finite(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def spi_t(es: float | None, at: float | None) -> float | None:
    """SPI(t) = ES / AT."""
    if es is None or at is None or not _finite(es, at) or at <= 0:
        return None
    return _real(es / at)


def sv_t(es: float | None, at: float | None) -> float | None:
    """SV(t) = ES − AT, in periods."""
    if es is None or at is None or not _finite(es, at):
        return None
    return _real(es - at)


def forecast_duration(planned_duration: float | None, spi_t: float | None) -> float | None:
    """IEAC(t) = PD / SPI(t), in periods."""
    if planned_duration is None or spi_t is None or not _finite(planned_duration, spi_t):
        return None
    return _real(planned_duration / spi_t) if spi_t > 0 else None


@dataclass(frozen=True)
class Evm:
    """Every measure of one status date; see `evaluate`."""

    sv: Money
    cv: Money
    spi: float | None
    cpi: float | None
    eac_cpi: Money
    eac_atypical: Money
    eac_cpi_spi: Money
    etc: Money
    vac: Money
    tcpi_bac: float | None
    tcpi_eac: float | None
    es: float | None
    at: float | None
    spi_t: float | None
    sv_t: float | None
    forecast_duration: float | None
    planned_duration: int | None
    percent_spent: float | None
    percent_complete_ev: float | None


def evaluate(
    *,
    bac: Money,
    pv: Money,
    ev: Money,
    ac: Money,
    planned_curve: Sequence[Decimal] | None = None,
    at: float | None = None,
) -> Evm:
    """Compute every measure for one status date.

    ETC, VAC and the TCPI to EAC use the CPI method EAC (BAC / CPI), the Practice Standard's
    usual forecast; the other two EACs are reported beside it. Earned schedule needs the
    cumulative planned curve (one value a period) and `at`, the actual time in periods.
    """
    eac = eac_cpi(bac, ev, ac)
    es = earned_schedule(ev, planned_curve) if planned_curve else None
    duration = len(planned_curve) if planned_curve else None
    time_index = spi_t(es, at)
    return Evm(
        sv=schedule_variance(ev, pv),
        cv=cost_variance(ev, ac),
        spi=schedule_performance_index(ev, pv),
        cpi=cost_performance_index(ev, ac),
        eac_cpi=eac,
        eac_atypical=eac_atypical(bac, ev, ac),
        eac_cpi_spi=eac_cpi_spi(bac, pv, ev, ac),
        etc=estimate_to_complete(eac, ac),
        vac=variance_at_completion(bac, eac),
        tcpi_bac=tcpi_bac(bac, ev, ac),
        tcpi_eac=tcpi_eac(bac, ev, ac, eac),
        es=es,
        at=at if at is not None and _finite(at) else None,
        spi_t=time_index,
        sv_t=sv_t(es, at),
        forecast_duration=forecast_duration(duration, time_index),
        planned_duration=duration,
        percent_spent=_ratio(ac, bac),
        percent_complete_ev=_ratio(ev, bac),
    )


def band(value: float | None, green_at: float = 0.95, amber_at: float = 0.90) -> Band | None:
    """Traffic light of an index where higher is better (SPI, CPI, SPI(t)); None for None."""
    if value is None or not math.isfinite(value):
        return None
    if value >= green_at:
        return "green"
    return "amber" if value >= amber_at else "red"
