"""The two public-domain questionnaires behind personality profiles, with their published keys.

- The IPIP Big-Five factor markers, 50 items (Goldberg, 1992; ipip.ori.org), which staff answer
  about themselves. Items run in the published order: extraversion, agreeableness,
  conscientiousness, emotional stability, intellect/imagination, five times round.
- The Mini-IPIP, 20 items (Donnellan, Oswald, Baird & Lucas, 2006, Psychological Assessment 18:
  192–203), which a PM answers about a client contact: the same kind of items in the observer's
  wording ("Is the life of the party"). The Mini-IPIP keys neuroticism; we report its opposite,
  emotional stability, so that both instruments give the same five traits on one scale.

Answers are on the IPIP's five-point scale, 1 "very inaccurate" to 5 "very accurate". A
reverse-keyed item scores 6 − answer. A trait is the mean of its scored items, reported on 0–100
as (mean − 1) / 4 × 100, so 1 is 0 and 5 is 100.
"""

from __future__ import annotations

from dataclasses import dataclass

Trait = str
TRAITS: tuple[Trait, ...] = (
    "extraversion",
    "agreeableness",
    "conscientiousness",
    "emotional_stability",
    "intellect",
)
TRAIT_LABELS: dict[str, str] = {
    "extraversion": "extraversion",
    "agreeableness": "agreeableness",
    "conscientiousness": "conscientiousness",
    "emotional_stability": "emotional stability",
    "intellect": "intellect or imagination",
}
SCALE = (
    (1, "Very inaccurate"),
    (2, "Moderately inaccurate"),
    (3, "Neither accurate nor inaccurate"),
    (4, "Moderately accurate"),
    (5, "Very accurate"),
)


@dataclass(frozen=True)
class Item:
    number: int
    text: str
    trait: Trait
    reverse: bool


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    instructions: str
    items: tuple[Item, ...]

    def item(self, number: int) -> Item:
        return self.items[number - 1]


def _items(rows: list[tuple[str, Trait, bool]]) -> tuple[Item, ...]:
    return tuple(Item(n, text, trait, reverse) for n, (text, trait, reverse) in enumerate(rows, 1))


E, A, C, S, I = TRAITS  # noqa: E741

IPIP_50 = Instrument(
    code="ipip50",
    name="IPIP Big-Five factor markers (50 items)",
    instructions=(
        "Describe yourself as you generally are now, not as you wish to be in the future, "
        "compared with other people you know of the same sex and roughly your age. "
        "How accurately does each statement describe you?"
    ),
    items=_items(
        [
            ("Am the life of the party.", E, False),
            ("Feel little concern for others.", A, True),
            ("Am always prepared.", C, False),
            ("Get stressed out easily.", S, True),
            ("Have a rich vocabulary.", I, False),
            ("Don't talk a lot.", E, True),
            ("Am interested in people.", A, False),
            ("Leave my belongings around.", C, True),
            ("Am relaxed most of the time.", S, False),
            ("Have difficulty understanding abstract ideas.", I, True),
            ("Feel comfortable around people.", E, False),
            ("Insult people.", A, True),
            ("Pay attention to details.", C, False),
            ("Worry about things.", S, True),
            ("Have a vivid imagination.", I, False),
            ("Keep in the background.", E, True),
            ("Sympathize with others' feelings.", A, False),
            ("Make a mess of things.", C, True),
            ("Seldom feel blue.", S, False),
            ("Am not interested in abstract ideas.", I, True),
            ("Start conversations.", E, False),
            ("Am not interested in other people's problems.", A, True),
            ("Get chores done right away.", C, False),
            ("Am easily disturbed.", S, True),
            ("Have excellent ideas.", I, False),
            ("Have little to say.", E, True),
            ("Have a soft heart.", A, False),
            ("Often forget to put things back in their proper place.", C, True),
            ("Get upset easily.", S, True),
            ("Do not have a good imagination.", I, True),
            ("Talk to a lot of different people at parties.", E, False),
            ("Am not really interested in others.", A, True),
            ("Like order.", C, False),
            ("Change my mood a lot.", S, True),
            ("Am quick to understand things.", I, False),
            ("Don't like to draw attention to myself.", E, True),
            ("Take time out for others.", A, False),
            ("Shirk my duties.", C, True),
            ("Have frequent mood swings.", S, True),
            ("Use difficult words.", I, False),
            ("Don't mind being the center of attention.", E, False),
            ("Feel others' emotions.", A, False),
            ("Follow a schedule.", C, False),
            ("Get irritated easily.", S, True),
            ("Spend time reflecting on things.", I, False),
            ("Am quiet around strangers.", E, True),
            ("Make people feel at ease.", A, False),
            ("Am exacting in my work.", C, False),
            ("Often feel blue.", S, True),
            ("Am full of ideas.", I, False),
        ]
    ),
)

# Reverse keys below are for emotional stability: the Mini-IPIP's neuroticism items "Have
# frequent mood swings" and "Get upset easily" count against stability; "Am relaxed most of the
# time" and "Seldom feel blue", reverse-keyed for neuroticism, count for it.
MINI_IPIP_OBSERVER = Instrument(
    code="mini_ipip",
    name="Mini-IPIP (20 items), observer rating",
    instructions=(
        "Describe the person as they generally are at work, as you have seen them. "
        "How accurately does each statement describe them?"
    ),
    items=_items(
        [
            ("Is the life of the party.", E, False),
            ("Sympathizes with others' feelings.", A, False),
            ("Gets chores done right away.", C, False),
            ("Has frequent mood swings.", S, True),
            ("Has a vivid imagination.", I, False),
            ("Doesn't talk a lot.", E, True),
            ("Is not interested in other people's problems.", A, True),
            ("Often forgets to put things back in their proper place.", C, True),
            ("Is relaxed most of the time.", S, False),
            ("Is not interested in abstract ideas.", I, True),
            ("Talks to a lot of different people at parties.", E, False),
            ("Feels others' emotions.", A, False),
            ("Likes order.", C, False),
            ("Gets upset easily.", S, True),
            ("Has difficulty understanding abstract ideas.", I, True),
            ("Keeps in the background.", E, True),
            ("Is not really interested in others.", A, True),
            ("Makes a mess of things.", C, True),
            ("Seldom feels blue.", S, False),
            ("Does not have a good imagination.", I, True),
        ]
    ),
)

INSTRUMENTS = {i.code: i for i in (IPIP_50, MINI_IPIP_OBSERVER)}


class IncompleteAnswers(ValueError):
    pass


def score(instrument: Instrument, answers: dict[int, int]) -> dict[Trait, float]:
    """Each trait on 0–100 from a full answer sheet (item number → 1–5). Every item must be
    answered: a trait from some of its items would not be the published scale."""
    missing = [item.number for item in instrument.items if item.number not in answers]
    if missing:
        raise IncompleteAnswers(
            f"{len(missing)} of {len(instrument.items)} statements are unanswered "
            f"(number {', '.join(map(str, missing[:5]))}{'…' if len(missing) > 5 else ''})."
        )
    extra = sorted(set(answers) - {item.number for item in instrument.items})
    if extra:
        raise IncompleteAnswers(f"There is no statement number {extra[0]}.")
    sums: dict[Trait, list[int]] = {trait: [] for trait in TRAITS}
    for item in instrument.items:
        value = answers[item.number]
        if not 1 <= value <= 5:
            raise IncompleteAnswers(f"Statement {item.number}: answer from 1 to 5, not {value}.")
        sums[item.trait].append(6 - value if item.reverse else value)
    return {
        trait: round((sum(values) / len(values) - 1) / 4 * 100, 2) for trait, values in sums.items()
    }
