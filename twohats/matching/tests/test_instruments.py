"""The two questionnaires are scored by their published keys: hand-scored answer sheets, the
all-1s and all-5s sheets, the extreme sheets, and incomplete sheets refused."""

from __future__ import annotations

import re

import pytest

from twohats.matching.instruments import (
    IPIP_50,
    MINI_IPIP_OBSERVER,
    TRAITS,
    IncompleteAnswers,
    Instrument,
    score,
)

# The published keys, copied by hand from ipip.ori.org (the 50-item Big-Five factor markers) and
# from Donnellan et al. (2006, table 1), item by item: the trait (E extraversion, A agreeableness,
# C conscientiousness, S emotional stability, I intellect) and + for keyed, - for reverse-keyed.
# The Mini-IPIP keys neuroticism; its N+ items are S- here and its N- items S+.
IPIP_50_KEY = re.findall(
    r"\S\S",
    "E+ A- C+ S- I+ E- A+ C- S+ I- "
    "E+ A- C+ S- I+ E- A+ C- S+ I- "
    "E+ A- C+ S- I+ E- A+ C- S- I- "
    "E+ A- C+ S- I+ E- A+ C- S- I+ "
    "E+ A+ C+ S- I+ E- A+ C+ S- I+",
)
MINI_IPIP_KEY = re.findall(r"\S\S", "E+ A+ C+ S- I+ E- A- C- S+ I- E+ A+ C+ S- I- E- A- C- S+ I-")
LETTER = dict(zip("EACSI", TRAITS, strict=True))


@pytest.mark.parametrize(
    ("instrument", "key"), [(IPIP_50, IPIP_50_KEY), (MINI_IPIP_OBSERVER, MINI_IPIP_KEY)]
)
def test_it_keys_every_item_as_published(instrument: Instrument, key: list[str]) -> None:
    assert len(instrument.items) == len(key)
    for item, published in zip(instrument.items, key, strict=True):
        assert (item.trait, item.reverse) == (LETTER[published[0]], published[1] == "-"), item


# An IPIP-50 answer sheet, ten rows of five items (in each row: E, A, C, S, I).
# fmt: off
IPIP_SHEET = dict(enumerate([
    4, 2, 5, 3, 4,  # items 1–5
    2, 4, 1, 4, 2,  # 6–10
    5, 1, 4, 4, 3,  # 11–15
    3, 5, 2, 2, 1,  # 16–20
    4, 2, 2, 2, 4,  # 21–25
    1, 4, 2, 3, 2,  # 26–30
    3, 1, 5, 4, 5,  # 31–35
    4, 3, 1, 3, 3,  # 36–40
    2, 4, 4, 2, 4,  # 41–45
    3, 5, 4, 1, 5,  # 46–50
], start=1))
# fmt: on


def test_it_scores_an_ipip_50_sheet_as_by_hand() -> None:
    # A reverse-keyed item scores 6 − answer; a trait is (mean − 1) / 4 × 100.
    # Extraversion: 1+ 4, 6− (6−2=) 4, 11+ 5, 16− (6−3=) 3, 21+ 4, 26− (6−1=) 5, 31+ 3,
    #   36− (6−4=) 2, 41+ 2, 46− (6−3=) 3 → 35 / 10 = 3.5 → 2.5 / 4 × 100 = 62.5
    # Agreeableness: 2− 4, 7+ 4, 12− 5, 17+ 5, 22− 4, 27+ 4, 32− 5, 37+ 3, 42+ 4, 47+ 5
    #   → 43 / 10 = 4.3 → 3.3 / 4 × 100 = 82.5
    # Conscientiousness: 3+ 5, 8− 5, 13+ 4, 18− 4, 23+ 2, 28− 4, 33+ 5, 38− 5, 43+ 4, 48+ 4
    #   → 42 / 10 = 4.2 → 3.2 / 4 × 100 = 80.0
    # Emotional stability: 4− 3, 9+ 4, 14− 2, 19+ 2, 24− 4, 29− 3, 34− 2, 39− 3, 44− 4, 49− 5
    #   → 32 / 10 = 3.2 → 2.2 / 4 × 100 = 55.0
    # Intellect: 5+ 4, 10− 4, 15+ 3, 20− 5, 25+ 4, 30− 4, 35+ 5, 40+ 3, 45+ 4, 50+ 5
    #   → 41 / 10 = 4.1 → 3.1 / 4 × 100 = 77.5
    assert score(IPIP_50, IPIP_SHEET) == {
        "extraversion": 62.5,
        "agreeableness": 82.5,
        "conscientiousness": 80.0,
        "emotional_stability": 55.0,
        "intellect": 77.5,
    }


# A Mini-IPIP answer sheet, four rows of five items (in each row: E, A, C, S, I).
# fmt: off
MINI_SHEET = dict(enumerate([
    4, 5, 2, 4, 3,  # items 1–5
    2, 1, 4, 3, 2,  # 6–10
    5, 3, 3, 5, 1,  # 11–15
    1, 2, 3, 2, 2,  # 16–20
], start=1))
# fmt: on


def test_it_scores_a_mini_ipip_sheet_as_by_hand() -> None:
    # Extraversion: 1+ 4, 6− (6−2=) 4, 11+ 5, 16− (6−1=) 5 → 18 / 4 = 4.5 → 3.5 / 4 × 100 = 87.5
    # Agreeableness: 2+ 5, 7− (6−1=) 5, 12+ 3, 17− (6−2=) 4 → 17 / 4 = 4.25 → 81.25
    # Conscientiousness: 3+ 2, 8− (6−4=) 2, 13+ 3, 18− (6−3=) 3 → 10 / 4 = 2.5 → 37.5
    # Emotional stability (neuroticism reversed): 4 "mood swings" − (6−4=) 2, 9 "relaxed" + 3,
    #   14 "upset easily" − (6−5=) 1, 19 "seldom blue" + 2 → 8 / 4 = 2.0 → 25.0
    # Intellect: 5+ 3, 10− (6−2=) 4, 15− (6−1=) 5, 20− (6−2=) 4 → 16 / 4 = 4.0 → 75.0
    assert score(MINI_IPIP_OBSERVER, MINI_SHEET) == {
        "extraversion": 87.5,
        "agreeableness": 81.25,
        "conscientiousness": 37.5,
        "emotional_stability": 25.0,
        "intellect": 75.0,
    }


def test_it_scores_all_1s_and_all_5s_by_the_count_of_reversed_items() -> None:
    # IPIP-50: each trait has 10 items; with k reverse-keyed, all 1s give (10 − k) × 1 + k × 5.
    # E has 5 reversed: 5 + 25 = 30 → 3.0 → 50; all 5s: 25 + 5 = 30 → 50.
    # A and C have 4: all 1s 6 + 20 = 26 → 2.6 → 40; all 5s 30 + 4 = 34 → 3.4 → 60.
    # S has 8: all 1s 2 + 40 = 42 → 4.2 → 80; all 5s 10 + 8 = 18 → 1.8 → 20.
    # I has 3: all 1s 7 + 15 = 22 → 2.2 → 30; all 5s 35 + 3 = 38 → 3.8 → 70.
    ones = dict.fromkeys(range(1, 51), 1)
    fives = dict.fromkeys(range(1, 51), 5)
    assert score(IPIP_50, ones) == {
        "extraversion": 50.0,
        "agreeableness": 40.0,
        "conscientiousness": 40.0,
        "emotional_stability": 80.0,
        "intellect": 30.0,
    }
    assert score(IPIP_50, fives) == {
        "extraversion": 50.0,
        "agreeableness": 60.0,
        "conscientiousness": 60.0,
        "emotional_stability": 20.0,
        "intellect": 70.0,
    }
    # Mini-IPIP: E, A, C, S have 2 of 4 reversed → 2 + 10 = 12 → 3.0 → 50 either way;
    # I has 3 of 4 reversed: all 1s 1 + 15 = 16 → 4.0 → 75; all 5s 5 + 3 = 8 → 2.0 → 25.
    mini_ones = dict.fromkeys(range(1, 21), 1)
    mini_fives = dict.fromkeys(range(1, 21), 5)
    assert score(MINI_IPIP_OBSERVER, mini_ones) == dict.fromkeys(TRAITS[:4], 50.0) | {
        "intellect": 75.0
    }
    assert score(MINI_IPIP_OBSERVER, mini_fives) == dict.fromkeys(TRAITS[:4], 50.0) | {
        "intellect": 25.0
    }


@pytest.mark.parametrize(("key", "n"), [(IPIP_50_KEY, 50), (MINI_IPIP_KEY, 20)])
def test_it_reaches_0_and_100_at_the_ends_of_the_keys(key: list[str], n: int) -> None:
    instrument = IPIP_50 if n == 50 else MINI_IPIP_OBSERVER
    # Agreeing with every keyed item and disagreeing with every reversed one is 100 on all five.
    high = {i: 1 if k.endswith("-") else 5 for i, k in enumerate(key, 1)}
    low = {i: 6 - v for i, v in high.items()}
    assert score(instrument, high) == dict.fromkeys(TRAITS, 100.0)
    assert score(instrument, low) == dict.fromkeys(TRAITS, 0.0)


def test_it_refuses_an_incomplete_sheet() -> None:
    sheet = dict(IPIP_SHEET)
    del sheet[7], sheet[50]
    with pytest.raises(
        IncompleteAnswers, match=r"2 of 50 statements are unanswered \(number 7, 50"
    ):
        score(IPIP_50, sheet)
    with pytest.raises(IncompleteAnswers, match="20 of 20"):
        score(MINI_IPIP_OBSERVER, {})


@pytest.mark.parametrize(("item", "value"), [(3, 0), (3, 6), (21, 3)])
def test_it_refuses_answers_off_the_scale_or_the_sheet(item: int, value: int) -> None:
    sheet = dict(MINI_SHEET) | {item: value}
    with pytest.raises(IncompleteAnswers):
        score(MINI_IPIP_OBSERVER, sheet)
