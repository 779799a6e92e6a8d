"""Personality profiles, working styles and perceived similarity, and the demo's known effect of
fit on outcomes.

Most PMs answered the IPIP-50 about themselves (with consent); each account's lead rated the
client's primary representative, and some other senior contacts, on the Mini-IPIP. Profiles come
from generated answer sheets scored by the instruments' own keys, so every profile has its
`ProfileAnswer` rows and its scores match them. Some PMs and representatives who worked together
said how alike they find each other (1–7); some people have working-style tags.

The known effect. Every PM and every representative has true (latent) traits, whether measured
or not; a profile is a noisy measure of them. A pair that is alike on extraversion and
agreeableness gets on a little better: the account's baseline sentiment (`ClientPlan.mood`,
which interactions and survey scores follow) moves by `EFFECT` × (the lead's similarity with the
representative on those two traits, centred on the accounts' mean), and each project's own
interactions move by the difference its manager makes (`ProjectPlan.mood`, 0 when the lead runs
it). The shift is plain in the interactions' sentiment and reaches the outcomes the calibration
reads in part: a project's relationship health rests mostly on presence and coverage, and its
NPS, near its ceiling of 10 at a happy account, on the account and the course of the project; the
mean sentiment of the project's interactions, the calibration's third outcome, carries it best.
So the effect on outcomes is modest and uneven across traits. On the small demo (seed 2004,
after `--then-health`) `twohats fit calibrate` finds it: 84 pairs, out-of-fold R² +0.23 (95 % CI
+0.01 to +0.38) with personality and −0.02 (−0.09 to −0.00) without, a gain of +0.24 (+0.07 to
+0.40); within trait similarity it puts the weight on extraversion (2.94 of a mean of 1), but at
84 pairs not yet on agreeableness (0.00), and chance gives conscientiousness 1.33 and emotional
stability 0.73. With `EFFECT` at 2.5 it did not (gain +0.10, CI −0.06 to +0.24): 84 pairs
are few, and the verdict swings with the draw. The demo's generating functions on 400 pairs put
the weight on extraversion and agreeableness (see the tests); `make bench` shows the calibration
on the large demo.

This runs after the projects are planned and before any interaction or survey is generated:
it only adjusts the two mood numbers those steps already read, so no other step changes. Its own
random stream: every row built before or after it is drawn as without it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.db import transaction

from twohats.clients.models import Client
from twohats.demo.context import ClientPlan, Context, Staff
from twohats.matching.instruments import IPIP_50, MINI_IPIP_OBSERVER, TRAITS, Instrument, score
from twohats.matching.models import (
    PerceivedSimilarity,
    PersonalityProfile,
    ProfileAnswer,
    Source,
    StyleTag,
    WorkingStyle,
)

SELF_SHARE = 0.85  # of PMs with a self-report (the fixed logins always)
KEY_CONTACT_SHARE = 0.3  # of the other senior contacts, rated by the lead
PERCEIVED_SHARE = 0.5  # of the project pairs that said how alike they are
STYLE_SHARE = 0.6  # of profiled people with working-style tags
TRAIT_MEAN, TRAIT_SD = 58.0, 15.0  # latent traits on 0–100
ANSWER_NOISE = 0.5  # of one answer, on the 1–5 scale
# Mood shift per unit of similarity on extraversion and agreeableness (each 1 − |d| / 25):
# about 1 point of mood (−1 to 0.9 between accounts) for a pair one SD more alike than most.
EFFECT = 3.0
EFFECT_TRAITS = ("extraversion", "agreeableness")
SIMILAR_WITHIN = 25.0


def latent(rng: random.Random) -> dict[str, float]:
    return {t: min(100.0, max(0.0, rng.gauss(TRAIT_MEAN, TRAIT_SD))) for t in TRAITS}


def answer_sheet(
    rng: random.Random, traits: dict[str, float], instrument: Instrument
) -> dict[int, int]:
    """Answers (1–5) of someone with these true traits: each item near the trait's level on the
    item's scale (reversed for a reverse-keyed item), plus noise."""
    answers = {}
    for item in instrument.items:
        level = 1 + 4 * traits[item.trait] / 100 + rng.gauss(0, ANSWER_NOISE)
        value = min(5, max(1, round(level)))
        answers[item.number] = 6 - value if item.reverse else value
    return answers


def similarity(a: dict[str, float], b: dict[str, float], traits: Sequence[str]) -> float:
    """The fit model's per-trait similarity (1 − |difference| / 25, within −1 and 1), averaged."""
    values = [max(-1.0, min(1.0, 1 - abs(a[t] - b[t]) / SIMILAR_WITHIN)) for t in traits]
    return sum(values) / len(values)


def shift_moods(
    clients: Sequence[ClientPlan],
    pm_traits: dict[int, dict[str, float]],
    representative: dict[int, dict[str, float]],
) -> None:
    """The known effect: move each account's mood by its lead's similarity with the
    representative, and each project's by what its own manager changes. `pm_traits` is keyed by
    Staff.index, `representative` by ClientPlan.index; both hold true traits."""
    leads = {
        client.index: similarity(
            pm_traits[client.lead.index], representative[client.index], EFFECT_TRAITS
        )
        for client in clients
        if client.index in representative
    }
    if not leads:
        return
    # Centred, so the accounts' moods are as high on average as without the effect.
    centre = sum(leads.values()) / len(leads)
    for client in clients:
        if client.index not in representative:
            continue
        rep = representative[client.index]
        client.mood += EFFECT * (leads[client.index] - centre)
        for project in client.projects:
            own = similarity(pm_traits[project.manager.index], rep, EFFECT_TRAITS)
            project.mood = EFFECT * (own - leads[client.index])


def _style(rng: random.Random, traits: dict[str, float]) -> list[str]:
    """Two or three tags that lean on the traits."""
    tags = [
        StyleTag.CALLS
        if traits["extraversion"] + rng.gauss(0, 12) > TRAIT_MEAN
        else StyleTag.WRITTEN,
        StyleTag.DETAIL
        if traits["conscientiousness"] + rng.gauss(0, 12) > TRAIT_MEAN
        else StyleTag.BIG_PICTURE,
    ]
    tags.append(
        rng.choice(
            (
                StyleTag.FAST,
                StyleTag.DELIBERATE,
                StyleTag.FORMAL,
                StyleTag.INFORMAL,
                StyleTag.EARLY_WARNING,
                StyleTag.HANDS_ON,
            )
        )
    )
    return sorted({str(tag) for tag in tags[: rng.choice((2, 3))]})


def build_matching(ctx: Context) -> None:
    rng = random.Random(f"{ctx.seed}-matching")
    pms = ctx.pms()
    pm_traits = {pm.index: latent(rng) for pm in pms}
    primary_of = dict(
        Client.objects.filter(primary_contact__isnull=False).values_list("pk", "primary_contact")
    )
    representative = {c.index: latent(rng) for c in ctx.clients if c.id in primary_of}
    shift_moods(ctx.clients, pm_traits, representative)

    profiles: list[PersonalityProfile] = []
    sheets: list[dict[int, int]] = []
    styles: list[WorkingStyle] = []

    def add(
        traits: dict[str, float], instrument: Instrument, rated_on: int, rater: Staff, **who: object
    ) -> dict[str, float]:
        sheet = answer_sheet(rng, traits, instrument)
        scored = score(instrument, sheet)
        day = dt.date.fromordinal(rated_on)
        self_report = instrument is IPIP_50
        profiles.append(
            PersonalityProfile(
                source=Source.SELF if self_report else Source.OBSERVER,
                instrument=instrument.code,
                rated_by_id=rater.id,
                rated_on=day,
                consent_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
                if self_report
                else None,
                is_latest=True,
                created_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC),
                **scored,
                **who,
            )
        )
        sheets.append(sheet)
        if rng.random() < STYLE_SHARE:
            styles.append(WorkingStyle(tags=_style(rng, traits), updated_by_id=rater.id, **who))
        return scored

    fixed = {staff.index for staff in ctx.logins.values()}
    for pm in pms:
        if pm.index in fixed or rng.random() < SELF_SHARE:
            day = ctx.today_ord - rng.randint(20, 500)
            add(pm_traits[pm.index], IPIP_50, day, pm, user_id=pm.id)
    for client in ctx.clients:
        if client.index not in representative:
            continue
        primary = primary_of[client.id]
        day = min(ctx.today_ord - 1, client.start + rng.randint(30, 200))
        add(representative[client.index], MINI_IPIP_OBSERVER, day, client.lead, contact_id=primary)
        for k in client.senior_contacts:
            contact = client.contact_ids[k]
            if contact != primary and rng.random() < KEY_CONTACT_SHARE:
                add(latent(rng), MINI_IPIP_OBSERVER, day, client.lead, contact_id=contact)

    perceived: list[PerceivedSimilarity] = []
    for client in ctx.clients:
        if client.index not in representative:
            continue
        rep = representative[client.index]
        for project in client.projects:
            start = min(project.start, ctx.today_ord - 1)
            if project.status in ("proposed", "cancelled") or rng.random() >= PERCEIVED_SHARE:
                continue
            alike = similarity(pm_traits[project.manager.index], rep, TRAITS)
            for rater in ("pm", "contact"):
                value = min(7, max(1, round(4.3 + 2.2 * alike + rng.gauss(0, 1.1))))
                when = min(ctx.today_ord - 1, start + rng.randint(45, 120))
                perceived.append(
                    PerceivedSimilarity(
                        pm_id=project.manager.id,
                        contact_id=primary_of[client.id],
                        rater=rater,
                        value=value,
                        at=dt.datetime.combine(
                            dt.date.fromordinal(when), dt.time(17), tzinfo=dt.UTC
                        ),
                    )
                )

    with transaction.atomic():
        ctx.writer.insert(PersonalityProfile, profiles)
        answers = ctx.writer.table(ProfileAnswer, ("profile_id", "item", "value"))
        answers.insert(
            [
                (profile.pk, item, value)
                for profile, sheet in zip(profiles, sheets, strict=True)
                for item, value in sorted(sheet.items())
            ]
        )
        # One style per person: a contact rated twice (never here) would keep the first.
        ctx.writer.insert(WorkingStyle, styles)
        ctx.writer.insert(PerceivedSimilarity, perceived)
