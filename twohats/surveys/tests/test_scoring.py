"""Tests of the pure survey scoring functions against published worked examples.

Each published example names its source; examples marked "constructed" are ours, made to test a
rule, and carry no published number.
"""

from __future__ import annotations

import math
import statistics

import pytest

from twohats.surveys.scoring import construct_means, csat, gap, likert_score, nps


def answers(**counts: int) -> list[int]:
    """answers(s9=3, s0=1) -> [9, 9, 9, 0]."""
    return [int(key[1:]) for key, count in counts.items() for _ in range(count)]


# --- NPS: published scores ------------------------------------------------------------------


def test_bain_definition_boundaries() -> None:
    # Bain & Company, "Measuring Your Net Promoter Score"
    # (https://nps.bain.com/about/measuring-your-net-promoter-score/): promoters score 9 or 10,
    # detractors 0 to 6; NPS = % promoters − % detractors. The boundaries 6/7 and 8/9:
    result = nps([6, 7, 8, 9])
    assert (result.detractors, result.passives, result.promoters) == (1, 2, 1)
    assert result.score == 0
    assert nps([0]).detractors == 1 and nps([10]).promoters == 1


def test_dela_annual_report_30_promoters_20_detractors_is_plus_10() -> None:
    # DELA annual report 2018, glossary "Net Promotor Score"
    # (https://annualreport2018.dela.nl/begrippenlijst/net-promotor-score): "if research shows
    # that 30% of the responders is a promotor and 20% is a detractor, the NPS is +10".
    # The passives' 50% is implied; the individual answer values are constructed.
    assert nps(answers(s9=3, s8=5, s3=2)).score == pytest.approx(10)


def test_measuringu_100_promoters_30_passives_80_detractors_is_9_5() -> None:
    # Jeff Sauro, MeasuringU (measuringusability.com/blog/nps-ux.php), as quoted in the doctest
    # of gist.github.com/fitzgeraldsteele/7361953: "100 promoters and 30 passive and 80
    # detractors gets you a Net Promoter Score (NPS) of 9.5% (20 divided by 210)".
    result = nps(answers(s10=100, s7=30, s6=80))
    assert result.n == 210
    assert result.score == pytest.approx(9.5, abs=0.05)


def test_gist_doctest_zero_to_ten_once_each() -> None:
    # gist.github.com/fitzgeraldsteele/7361953, doctest:
    # netpromoterscore([0,1,2,3,4,5,6,7,8,9,10]) -> -45.45454545454545
    assert nps(range(11)).score == pytest.approx(-45.45454545454545)


def test_cross_validated_half_third_sixth_is_one_third() -> None:
    # whuber, Cross Validated, "How can I calculate margin of error in a NPS result?"
    # (stats.stackexchange.com/questions/18603): p₁ = 1/2 promoters, p₀ = 1/3 passives,
    # p₋₁ = 1/6 detractors give NPS = 1/3. Six answers in those shares are constructed.
    assert nps(answers(s9=3, s7=2, s1=1)).score == pytest.approx(100 / 3)


# --- NPS: standard error and margin -------------------------------------------------------------


def test_talkstats_1162_responses_nps_minus_9_margin_4_4() -> None:
    # talkstats.com, "Net Promoter Score - Calculating Confidence Intervals and Margin of Error"
    # (thread 58500): 1162 responses, 291 promoters, 476 neutral, 395 detractors, "an NPS of
    # -9" (a reply: 34% detractors, 41% passives, 25% promoters), and "We have calculated a
    # confidence interval of 4.4" — the poster's method is not shown; our ±1.96·SE matches it.
    result = nps(answers(s9=291, s7=476, s0=395))
    assert round(result.score) == -9
    assert round(100 * result.promoters / result.n) == 25
    assert round(100 * result.passives / result.n) == 41
    assert round(100 * result.detractors / result.n) == 34
    assert result.margin_95 == pytest.approx(4.4, abs=0.05)


def test_cybaea_thirds_give_a_95_interval_of_320_over_root_n() -> None:
    # Allan Engelhardt, CYBAEA, "Net Promoter Score confidence intervals 2: maths and stats"
    # (2016, cybaea.net/Journal/2016/01/14/NPS-confidence-intervals-stats/): with p = d = 1/3
    # the 95% interval is about 320/√n wide, so a width of 10 needs n ≈ 1024.
    for n in (300, 1023):
        result = nps(answers(s10=n // 3, s8=n // 3, s0=n // 3))
        assert 2 * result.margin_95 * math.sqrt(n) == pytest.approx(320, abs=0.5)
    assert 2 * result.margin_95 == pytest.approx(10, abs=0.05)


@pytest.mark.parametrize("values", [[9, 9, 7, 3], [10, 0], [8, 8, 8, 1, 9], list(range(11))])
def test_se_matches_cybaea_and_whuber_variance_forms(values: list[int]) -> None:
    # Constructed check that the 100·√((p₊ + p₋ − (p₊ − p₋)²)/n) equals CYBAEA's
    # 100·√((p(1−p) + d(1−d) + 2pd)/n) and whuber's SD of ±1/0 "tickets" divided by √n.
    result = nps(values)
    n, p, d = result.n, result.promoters / result.n, result.detractors / result.n
    assert result.standard_error == pytest.approx(
        100 * math.sqrt((p * (1 - p) + d * (1 - d) + 2 * p * d) / n)
    )
    tickets = [1 if v >= 9 else -1 if v <= 6 else 0 for v in values]
    assert result.standard_error == pytest.approx(
        100 * math.sqrt(statistics.pvariance(tickets) / n)
    )
    assert result.margin_95 == pytest.approx(1.96 * result.standard_error)


def test_all_promoters_or_all_detractors_have_no_spread() -> None:
    assert nps([9, 10, 10]) == nps([10, 9, 10])
    top, bottom = nps([9, 10, 10]), nps([0, 6])
    assert (top.score, top.standard_error, top.margin_95) == (100, 0, 0)
    assert (bottom.score, bottom.standard_error) == (-100, 0)


def test_empty_and_min_n() -> None:
    empty = nps([])
    assert (empty.n, empty.score, empty.standard_error, empty.margin_95) == (0, None, None, None)
    assert not empty.enough
    few = nps([10, 10, 3, 8], min_n=5)
    assert not few.enough and few.score is None and few.standard_error is None
    assert (few.n, few.promoters, few.passives, few.detractors) == (4, 2, 1, 1)
    just = nps([10, 10, 3, 8, 7], min_n=5)
    assert just.enough and just.score == pytest.approx(20)


@pytest.mark.parametrize("bad", [-1, 11, 9.5, True, "9"])
def test_nps_rejects_values_outside_0_to_10(bad: object) -> None:
    with pytest.raises(ValueError):
        nps([9, bad])  # type: ignore[list-item]


# --- CSAT -----------------------------------------------------------------------------------------


def test_delighted_csat_74_of_107() -> None:
    # Delighted Help Center, "How is CSAT calculated?" (help.delighted.com/article/240): 42 fives,
    # 32 fours, 10 threes, 9 twos, 14 ones: "(74 / 107) x 100 = 69.16".
    result = csat(answers(s5=42, s4=32, s3=10, s2=9, s1=14))
    assert (result.n, result.satisfied) == (107, 74)
    assert result.score == pytest.approx(69.16, abs=0.005)


def test_voc_metrics_csat_30_of_50() -> None:
    # VOC Metrics help, "What is CSAT and how is CSAT score calculated?"
    # (intercom.help/voc-metrics/en/articles/9647540): 10 fives, 20 fours, 10 threes, 5 twos,
    # 5 ones: "CSAT = (10 + 20) / 50 * 100 = 60%". The SE below is constructed: √(.6·.4/50).
    result = csat(answers(s5=10, s4=20, s3=10, s2=5, s1=5))
    assert result.score == pytest.approx(60)
    assert result.standard_error == pytest.approx(100 * math.sqrt(0.6 * 0.4 / 50))
    assert result.margin_95 == pytest.approx(1.96 * result.standard_error)


def test_csat_boundary_empty_min_n_and_range() -> None:
    assert csat([3, 4]).satisfied == 1
    assert csat([5, 5]).standard_error == 0
    assert not csat([]).enough and csat([]).score is None
    assert csat([5, 4], min_n=3).score is None
    for bad in (0, 6):
        with pytest.raises(ValueError):
            csat([bad])


# --- Likert, constructs and the gap (constructed examples) ---------------------------------------


def test_likert_reverse_keying() -> None:
    assert [likert_score(x, reverse=True) for x in range(1, 8)] == [7, 6, 5, 4, 3, 2, 1]
    assert likert_score(2, reverse=False) == 2
    assert likert_score(2, reverse=True, points=5) == 4
    for bad in (0, 8):
        with pytest.raises(ValueError):
            likert_score(bad, reverse=False)
    with pytest.raises(ValueError):
        likert_score(6, reverse=True, points=5)


def test_construct_means_after_reverse_keying() -> None:
    means = construct_means(
        [
            ("cognitive", 6, False),
            ("cognitive", 2, True),
            ("affective", 7, False),
            ("affective", 4, False),
        ]
    )
    assert means == {"cognitive": 6.0, "affective": 5.5}
    assert construct_means([]) == {}
    with pytest.raises(ValueError):
        construct_means([("commitment", 9, False)])


def test_gap_pm_minus_firm() -> None:
    assert gap(6.5, 5.0) == pytest.approx(1.5)
    assert gap(4.0, 6.0) == pytest.approx(-2.0)
    assert gap(None, 5.0) is None and gap(5.0, None) is None
