"""Earned value formulas checked against published worked examples.

Each test names its source. Where a source prints a number rounded from a rounded intermediate
(e.g. EAC from a CPI of .893), the test says so and checks both our exact value and that it is
within the source's rounding. Cases we constructed ourselves say so: they carry no published
number.
"""

from __future__ import annotations

import math
from dataclasses import fields
from decimal import Decimal as D

import pytest

from twohats.projects import evm


def test_it_matches_govan_worked_example_for_every_cost_measure() -> None:
    """Govan, P., "Project Risk Analysis: A Practical Guide", ch. 5 "Earned Value Management",
    §5.3 Example Setup, §5.4 EAC comparison table and §5.5 Additional Metrics (online book,
    paulgovan.github.io/PRA/book/ch-evm.html, undated; values as printed in the rendered page).

    BAC $500,000; PV $250,000 (50% planned by period 3); EV $200,000 (40% done);
    AC $45,000 + $110,000 + $135,000 = $290,000.
    """
    bac, pv, ev, ac = D(500_000), D(250_000), D(200_000), D(290_000)

    assert evm.schedule_variance(ev, pv) == D("-50000.00")  # printed: -50,000
    assert evm.cost_variance(ev, ac) == D("-90000.00")  # printed: -90,000
    assert evm.schedule_performance_index(ev, pv) == 0.8  # printed: 0.8
    cpi = evm.cost_performance_index(ev, ac)
    assert cpi is not None
    assert round(cpi, 3) == 0.69  # printed: 0.69
    assert evm.eac_cpi(bac, ev, ac) == D("725000.00")  # "Typical": 725,000
    assert evm.eac_atypical(bac, ev, ac) == D("590000.00")  # "Atypical": 590,000
    assert evm.eac_cpi_spi(bac, pv, ev, ac) == D("833750.00")  # "Combined": 833,750

    eac = evm.eac_cpi(bac, ev, ac)
    assert evm.estimate_to_complete(eac, ac) == D("435000.00")  # printed: 435,000
    assert evm.variance_at_completion(bac, eac) == D("-225000.00")  # printed: -225,000
    tcpi_bac = evm.tcpi_bac(bac, ev, ac)
    tcpi_eac = evm.tcpi_eac(bac, ev, ac, eac)
    assert tcpi_bac is not None
    assert tcpi_eac is not None
    assert round(tcpi_bac, 3) == 1.429  # printed: 1.429
    assert round(tcpi_eac, 3) == 0.69  # printed: 0.69
    assert evm.tcpi_is_hard(tcpi_bac)
    assert not evm.tcpi_is_hard(tcpi_eac)


def test_it_evaluates_govan_example_in_one_call() -> None:
    """Govan (as above), same status; the cumulative plan is the book's schedule
    c(0.10, 0.25, 0.50, 0.75, 1.00) × BAC. The book does not compute earned schedule: the ES
    figures below are ours, worked by hand from the book's data (C = 2, since PV_2 = 125,000 ≤
    EV = 200,000 < PV_3 = 250,000; ES = 2 + 75,000 / 125,000 = 2.6).
    """
    curve = [D(50_000), D(125_000), D(250_000), D(375_000), D(500_000)]

    result = evm.evaluate(
        bac=D(500_000), pv=D(250_000), ev=D(200_000), ac=D(290_000), planned_curve=curve, at=3
    )

    assert result.eac_cpi == D("725000.00")
    assert result.etc == D("435000.00")
    assert result.vac == D("-225000.00")
    assert result.eac_cpi_spi == D("833750.00")
    assert result.percent_spent == pytest.approx(0.58)
    assert result.percent_complete_ev == pytest.approx(0.40)
    assert result.planned_duration == 5
    assert result.es == pytest.approx(2.6)
    assert result.at == 3
    assert result.spi_t == pytest.approx(2.6 / 3)
    assert result.sv_t == pytest.approx(-0.4)
    assert result.forecast_duration == pytest.approx(5 / (2.6 / 3))


def test_it_matches_the_fence_exercise_of_pmp_exam_prep() -> None:
    """Mulcahy, R., "PMP Exam Prep" (RMC Publications), p. 210, fence exercise, as quoted in
    "Earned Value Exercise", studylib.net/doc/5898152 (edition and year not given there).

    Four sides, $1,000 each, one a day; end of day 3: sides 1–2 done (spent $1,000 and $1,200),
    side 3 half done (spent $600). Published: PV 3,000, EV 2,500, AC 2,800, BAC 4,000,
    CV -300, CPI .893, SV -500, SPI .833, EAC 4,479, ETC 1,679, VAC -479.
    """
    bac, pv, ev, ac = D(4000), D(3000), D(2500), D(2800)

    assert evm.cost_variance(ev, ac) == D("-300.00")
    assert evm.schedule_variance(ev, pv) == D("-500.00")
    cpi = evm.cost_performance_index(ev, ac)
    spi = evm.schedule_performance_index(ev, pv)
    assert cpi is not None
    assert spi is not None
    assert round(cpi, 3) == 0.893
    assert round(spi, 3) == 0.833

    # The source divides by the rounded CPI: 4,000 / .893 = 4,479.3. The exact BAC / CPI is
    # 4,000 × 2,800 / 2,500 = 4,480, so ETC and VAC move by the same dollar.
    eac = evm.eac_cpi(bac, ev, ac)
    assert eac == D("4480.00")
    etc = evm.estimate_to_complete(eac, ac)
    vac = evm.variance_at_completion(bac, eac)
    assert etc == D("1680.00")
    assert vac == D("-480.00")
    assert eac is not None
    assert etc is not None
    assert vac is not None
    assert abs(eac - D(4479)) <= 1
    assert abs(etc - D(1679)) <= 1
    assert abs(vac - D(-479)) <= 1


def test_it_matches_the_bread_project_tcpi() -> None:
    """QuestPond, "Earned Value" tutorial, bread project (400 breads at $0.02 each in 10 hours;
    at hour 3, 80 made instead of 120, $3 spent), geocities.ws/projectmanagementquestpond/
    earnedvalue.htm, undated. Published: SV -0.8, CV -1.4, CPI 0.53,
    TCPI (8 - 1.6) / (8 - 3) = 1.28. (It also prints SPI = 0.6, a slip: 1.6 / 2.4 = 0.667.)
    """
    bac, pv, ev, ac = D(8), D("2.4"), D("1.6"), D(3)

    assert evm.schedule_variance(ev, pv) == D("-0.80")
    assert evm.cost_variance(ev, ac) == D("-1.40")
    assert evm.cost_performance_index(ev, ac) == pytest.approx(0.533, abs=0.001)
    assert evm.schedule_performance_index(ev, pv) == pytest.approx(2 / 3)
    tcpi = evm.tcpi_bac(bac, ev, ac)
    assert tcpi == pytest.approx(1.28)
    assert evm.tcpi_is_hard(tcpi)


def test_it_matches_the_hksm_earned_schedule_example() -> None:
    """HKSM, "Earned Schedule (ES)" definition page, hksmnow.com/definitions/project-management/
    earned_schedule_es.php, undated. Published: AT = 20 weeks, EV equals the PV scheduled for
    week 18, so ES = 18, SV(t) = -2 weeks, SPI(t) = 0.90; and, in its exam question, AT = 24,
    ES = 21, so SV(t) = -3 weeks.

    The source gives no PV figures; the 30-week plan of $1,000 a week is ours. EV landing
    exactly on a period's PV must give that whole period, with no fraction.
    """
    plan = [D(1000 * week) for week in range(1, 31)]

    es = evm.earned_schedule(D(18_000), plan)

    assert es == 18.0
    assert evm.sv_t(es, 20) == -2.0
    assert evm.spi_t(es, 20) == pytest.approx(0.90)
    assert evm.sv_t(21, 24) == -3.0


def test_it_interpolates_the_incomplete_period_as_lipke_shows() -> None:
    """Lipke, W., "Earned Schedule … an emerging enhancement to EVM", International Metrics
    Congress 2007 (PMI MetSIG), slides 7–8 (studylib.net/doc/18876724): "7 months gone by, but
    the project only has Earned Schedule to Month 5"; ES = C + I, C = number of time increments
    for which EV ≥ PV, I = (EV − PV_C) / (PV_C+1 − PV_C).

    The slides give the shape, not the dollars: the monthly plan below is ours. EV sits 40% of
    the way through June's increment, so ES = 5.4 months, SV(t) = -1.6 and SPI(t) = 5.4 / 7.
    """
    plan = [D(v) for v in (100, 250, 450, 700, 1000, 1300, 1600, 1850, 2050, 2200)]
    ev = D(1000) + D("0.4") * (D(1300) - D(1000))

    es = evm.earned_schedule(ev, plan)

    assert es == pytest.approx(5.4)
    assert evm.sv_t(es, 7) == pytest.approx(-1.6)
    assert evm.spi_t(es, 7) == pytest.approx(5.4 / 7)
    assert evm.forecast_duration(10, evm.spi_t(es, 7)) == pytest.approx(10 * 7 / 5.4)


def test_it_keeps_spi_t_below_one_for_a_late_project_while_spi_returns_to_one() -> None:
    """Constructed case (our numbers), showing the flaw Lipke 2007 (slides 5–6, as above) states:
    "At planned completion PV = BAC; at actual completion EV = BAC; SPI = BAC / BAC = 1.00
    regardless of lateness".

    A 5-month plan of $100 a month finishes at month 8: EV = PV = BAC = $500, so SPI = 1.0 and
    SV = 0, while ES = 5 months, SPI(t) = 5 / 8 = 0.625 and SV(t) = -3 months; IEAC(t) = 8.
    """
    plan = [D(100), D(200), D(300), D(400), D(500)]

    result = evm.evaluate(bac=D(500), pv=D(500), ev=D(500), ac=D(520), planned_curve=plan, at=8)

    assert result.spi == 1.0
    assert result.sv == D("0.00")
    assert result.es == 5.0
    assert result.spi_t == pytest.approx(0.625)
    assert result.spi_t is not None
    assert result.spi_t < 1
    assert result.sv_t == -3.0
    assert result.forecast_duration == pytest.approx(8.0)
    assert evm.band(result.spi) == "green"
    assert evm.band(result.spi_t) == "red"


@pytest.mark.parametrize(
    ("ev", "expected"),
    [
        (D(0), 0.0),  # nothing earned, no schedule earned
        (D(50), 0.5),  # inside the first period: PV at time 0 is 0
        (D(100), 2.0),  # flat stretch: both periods at PV 100 are earned
        (D(150), 2.25),  # fraction of the next rising step: 2 + 50 / 200
        (D(300), 3.0),  # EV = final PV: the whole planned duration
        (D(450), 3.0),  # EV above final PV (overrun of scope): never more than n
    ],
)
def test_it_handles_the_edges_of_the_planned_curve(ev: D, expected: float) -> None:
    """Constructed cases (our numbers) for the rule of Lipke 2003 / 2007: C counts every period
    with PV_C ≤ EV, so a flat stretch never puts a zero in the denominator."""
    assert evm.earned_schedule(ev, [D(100), D(100), D(300)]) == pytest.approx(expected)


@pytest.mark.parametrize(
    "curve",
    [[], [D(-1), D(5)], [D(100), D(50)], [D(10), D("NaN")]],
)
def test_it_rejects_a_curve_that_is_not_a_cumulative_plan(curve: list[D]) -> None:
    assert evm.earned_schedule(D(10), curve) is None


def test_it_returns_none_for_every_field_when_data_is_missing() -> None:
    result = evm.evaluate(bac=None, pv=None, ev=None, ac=None)

    assert all(getattr(result, f.name) is None for f in fields(result))


def test_it_returns_none_for_every_ratio_when_everything_is_zero() -> None:
    """Zero budget, zero progress, zero time: every ratio divides by zero; the variances of
    zero money are defined (0.00) and are the only non-None values."""
    result = evm.evaluate(bac=D(0), pv=D(0), ev=D(0), ac=D(0), planned_curve=[D(0), D(0)], at=0.0)

    defined = {f.name: getattr(result, f.name) for f in fields(result)}
    assert defined.pop("sv") == D("0.00")
    assert defined.pop("cv") == D("0.00")
    assert defined.pop("eac_atypical") == D("0.00")
    assert defined.pop("es") == 0.0
    assert defined.pop("at") == 0.0
    assert defined.pop("sv_t") == 0.0
    assert defined.pop("planned_duration") == 2
    assert defined == dict.fromkeys(defined)  # all the rest are None


def test_it_never_divides_by_zero_in_any_single_formula() -> None:
    zero, some = D(0), D(100)

    assert evm.schedule_performance_index(some, zero) is None
    assert evm.cost_performance_index(some, zero) is None
    assert evm.eac_cpi(some, zero, some) is None
    assert evm.eac_cpi(some, some, zero) is None
    assert evm.eac_cpi_spi(some, zero, some, some) is None
    assert evm.eac_cpi_spi(some, some, zero, some) is None
    assert evm.tcpi_bac(some, D(50), some) is None  # budget spent: BAC − AC = 0
    assert evm.tcpi_bac(some, D(50), D(150)) is None  # overspent: no longer attainable
    assert evm.tcpi_eac(some, some, some, some) is None
    assert evm.spi_t(2.0, 0) is None
    assert evm.forecast_duration(10, 0.0) is None
    assert evm.forecast_duration(10, None) is None
    assert evm.estimate_to_complete(None, some) is None
    assert evm.variance_at_completion(some, None) is None
    assert evm.earned_schedule(D(-1), [some]) is None


def test_it_never_returns_inf_or_nan() -> None:
    values = [D(0), D(1), D("1E-30"), D("1E+30"), D("NaN"), D("Infinity"), None]
    for bac in values:
        for ev in values:
            for ac in values:
                result = evm.evaluate(bac=bac, pv=ev, ev=ev, ac=ac, planned_curve=[D(1)], at=1)
                for f in fields(result):
                    value = getattr(result, f.name)
                    if isinstance(value, float):
                        assert math.isfinite(value), (f.name, bac, ev, ac)
                    elif isinstance(value, D):
                        assert value.is_finite(), (f.name, bac, ev, ac)


def test_it_treats_an_overflowing_quotient_as_undefined() -> None:
    assert evm.spi_t(5.0, 1e-320) is None
    assert evm.forecast_duration(10, 1e-320) is None
    assert evm.cost_performance_index(D("1E+400"), D("1E-400")) is None
    assert evm.eac_cpi(D("1E+30"), D("1E-30"), D("1E+30")) is None  # beyond the cent


def test_it_rounds_money_half_up_to_the_cent() -> None:
    assert evm.eac_cpi(D(100), D(3), D(1)) == D("33.33")
    assert evm.eac_cpi(D(100), D(6), D(1)) == D("16.67")
    assert evm.schedule_variance(D("0.005"), D(0)) == D("0.01")


def test_it_flags_a_tcpi_above_one_point_ten_as_hard() -> None:
    assert evm.TCPI_HARD == 1.10
    assert evm.tcpi_is_hard(1.11)
    assert not evm.tcpi_is_hard(1.10)
    assert not evm.tcpi_is_hard(None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.2, "green"),
        (0.95, "green"),
        (0.94, "amber"),
        (0.90, "amber"),
        (0.89, "red"),
        (None, None),
    ],
)
def test_it_bands_an_index(value: float | None, expected: str | None) -> None:
    assert evm.band(value) == expected


def test_it_bands_with_other_thresholds() -> None:
    assert evm.band(0.97, green_at=0.98, amber_at=0.96) == "amber"
    assert evm.band(float("nan")) is None
