from __future__ import annotations

import pytest
from pydantic import ValidationError

from twohats.health.policy import DEFAULT_CONFIG, parse
from twohats.health.scoring import Reading, score

POLICY = parse(
    {
        "dimensions": {
            "presence": {
                "weight": 60,
                "signals": {
                    "days_since_face_to_face": {"weight": 75, "good": 30, "bad": 60},
                    "interactions_30d": {"weight": 25, "good": 8, "bad": 0},
                },
            },
            "sentiment": {
                "weight": 40,
                "signals": {"mean_90d": {"weight": 100, "good": 1.0, "bad": -1.0}},
            },
        }
    }
)
WORDS = {"presence.days_since_face_to_face": lambda r, good: f"{r.raw:g} days; policy {good:g}"}


def test_it_scores_linearly_between_thresholds_and_caps_at_both_ends() -> None:
    signal = POLICY.signal("presence.days_since_face_to_face")
    assert signal is not None
    assert signal.score(30) == 100 and signal.score(10) == 100
    assert signal.score(45) == 50
    assert signal.score(60) == 0 and signal.score(400) == 0
    rising = POLICY.signal("sentiment.mean_90d")
    assert rising is not None and rising.score(0) == 50


def test_it_weights_signals_and_dimensions() -> None:
    result = score(
        {
            "presence.days_since_face_to_face": Reading(45),  # 50
            "presence.interactions_30d": Reading(8),  # 100
            "sentiment.mean_90d": Reading(0.5),  # 75
        },
        POLICY,
        WORDS,
    )
    assert result.dimensions == {"presence": 62.5, "sentiment": 75.0}
    assert result.overall == pytest.approx(0.6 * 62.5 + 0.4 * 75)  # 67.5
    assert result.band == "amber"
    assert result.reasons == ["45 days; policy 30"]
    assert result.missing == []


def test_it_spreads_the_weight_of_a_signal_without_data() -> None:
    result = score(
        {"presence.days_since_face_to_face": Reading(45), "sentiment.mean_90d": Reading(1)},
        POLICY,
        WORDS,
    )
    assert result.missing == ["presence.interactions_30d"]
    assert result.dimensions["presence"] == 50  # the one signal left carries the dimension
    assert result.overall == pytest.approx(0.6 * 50 + 0.4 * 100)


def test_it_leaves_out_a_dimension_without_any_data() -> None:
    result = score({"sentiment.mean_90d": Reading(-1)}, POLICY, WORDS)
    assert result.dimensions == {"presence": None, "sentiment": 0.0}
    assert result.overall == 0.0 and result.band == "red"
    empty = score({}, POLICY, WORDS)
    assert empty.overall is None and empty.band == "unknown"


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda c: c["dimensions"]["presence"].update(weight=25), "dimensions sum to 105, not 100"),
        (
            lambda c: c["dimensions"]["presence"]["signals"]["interactions_30d"].update(weight=10),
            "weights of its signals sum to 70",
        ),
        (
            lambda c: c["dimensions"]["growth"]["signals"]["pipeline_vs_budget"].update(bad=0.3),
            "good and bad thresholds must differ",
        ),
        (lambda c: c.update(bands={"green": 40, "amber": 60}), "amber threshold must be below"),
        (lambda c: c.update(sla={"critical": 600, "high": 480}), "must not shorten"),
        (lambda c: c.update(calendar={"working_days": [7]}), r"0 \(Monday\) to 6"),
    ],
)
def test_it_refuses_an_inconsistent_policy(change, message) -> None:  # type: ignore[no-untyped-def]
    import copy

    config = copy.deepcopy(DEFAULT_CONFIG)
    change(config)
    with pytest.raises(ValidationError, match=message):
        parse(config)
