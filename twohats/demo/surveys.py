"""Survey waves of the last two years: what the clients said, moving with the relationship.

Every quarter each client with a project under way invites one to three of its senior people;
the larger accounts (the big ones and the strategic tier) invite every contact of high or medium
power, so their scores rest on enough responses to be shown. Most invitations are NPS surveys,
some "the PM and the firm", a few relationship-quality and PM-roles surveys; an accepted
milestone brings a CSAT survey. No contact is invited more often than the active policy's
minimum gap allows. About a third of the invitations are answered (around 40 % at the big
accounts), fewer at neglected accounts; medium-power contacts score a little lower.

Scores follow the account: its baseline sentiment, the project's course at the time (read back
from its status reports: slipping projects score lower), silent accounts lower still. PMs gone
native are liked personally but the firm is not: a gap between the PM and the firm, and some
detractors. Verbatim reasons match the score and what the respondent lived through (promoters
praise; detractors of a slipping project complain of slipped milestones, at a silent account
of silence, of a native PM of the firm behind them; others of turnover, slow answers, costs),
from the vocabulary's themes with an optional detail.

Its own random stream: the data built before are the same with or without surveys. The tokens
themselves are never stored; each invitation's hash is of a value from `secrets`, so nobody can
answer a demo invitation (the hashes are the only thing not fixed by the seed).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
import random
import secrets
from dataclasses import dataclass, field

from django.db import transaction

from twohats.demo.context import ClientPlan, Context, ProjectPlan, at, between
from twohats.demo.vocab import SURVEY_COMMENTS, SURVEY_FOLLOW_UPS, SURVEY_REASONS
from twohats.projects.models import Milestone, StatusReport
from twohats.surveys.models import Answer, Invitation, Question, Response, SurveyTemplate
from twohats.surveys.services import survey_policy

CLIENT_BATCH = 1_000
WAVES = 8  # two years of quarters
WAVE_DAYS = 91  # one more than the default minimum gap, so a contact can be in every wave
HISTORY = WAVES * WAVE_DAYS
LIVE = ("active", "on_hold", "completed")
# Which survey a cadence invitation carries.
CADENCE_FAMILIES = ("nps", "pm_vs_firm", "relationship", "roles")
CADENCE_WEIGHTS = (60, 24, 8, 8)
RESPONSE_RATE = 0.34
REASON_SHARE = 0.6
COMMENT_SHARE = 0.35
REMIND_AFTER = 7
ROLES = ("implementer", "coach", "entrepreneur", "politician", "friend", "marketer")

# The larger accounts survey more widely: every contact of high or medium power each quarter.
WIDE_TIERS = ("strategic",)
WIDE_POWER = 3  # 1-5; 4 and 5 are high power, 3 medium
# Contacts of medium power are a little cooler: they live the day-to-day slips and changes of
# people more than the sponsors do.
MEDIUM_POWER_MOOD = -0.5
FOLLOW_UP_SHARE = 0.4
# How likely each theme of a reason is, by group, before the respondent's situation weighs in.
THEME_WEIGHTS = {
    "promoter": {"delivery": 2.0, "pm": 2.0, "team": 2.0, "responsive": 2.0, "value": 1.0},
    "passive": {"reporting": 2.0, "cost": 2.0, "initiative": 2.0, "people": 1.5, "pace": 0.3},
    "detractor": {
        "slipping": 0.3,
        "turnover": 1.5,
        "slow": 1.5,
        "silence": 0.3,
        "native": 0.0,
        "cost": 1.0,
        "quality": 1.0,
    },
}


@dataclass
class Family:
    """The current version of one template: its id and questions (id, construct, min, max,
    reverse-keyed, role)."""

    template: int
    questions: list[tuple[int, str, int | None, int | None, bool, str]]


@dataclass
class Batch:
    invitations: list[tuple[object, ...]] = field(default_factory=list)
    # Per invitation answered: the response's row without its invitation id, and its answers.
    responses: list[tuple[int, tuple[object, ...], list[tuple[int, int | None, str]]]] = field(
        default_factory=list
    )


def build_surveys(ctx: Context) -> None:
    rng = random.Random(f"{ctx.seed}-surveys")
    families = _families()
    if "nps" not in families:  # the templates come with the schema
        return
    first = ctx.today_ord - HISTORY
    expiry, gap = survey_policy()
    inputs = Inputs(families, _course(first), _accepted(first), gap=gap, expiry=expiry)
    writer = ctx.writer
    invitations = writer.table(
        Invitation,
        (
            "template_id",
            "project_id",
            "contact_id",
            "milestone_id",
            "trigger",
            "token_hash",
            "created_at",
            "expires_at",
            "sent_at",
            "reminded_at",
            "used_at",
        ),
    )
    responses = writer.table(
        Response,
        (
            "invitation_id",
            "template_id",
            "client_id",
            "project_id",
            "contact_id",
            "pm_id",
            "submitted_at",
            "nps",
            "csat",
        ),
    )
    answers = writer.table(Answer, ("response_id", "question_id", "value", "text"))
    with writer.bar("survey invitations", len(ctx.clients)) as bar:
        for offset in range(0, len(ctx.clients), CLIENT_BATCH):
            clients = ctx.clients[offset : offset + CLIENT_BATCH]
            batch = Batch()
            for client in clients:
                _client_rows(ctx, rng, client, inputs, batch)
            with transaction.atomic():
                ids = invitations.insert_returning_ids(batch.invitations)
                rows = [(ids[k], *row) for k, row, _ in batch.responses]
                response_ids = responses.insert_returning_ids(rows) if rows else []
                answers.insert(
                    [
                        (response_ids[n], question, value, text)
                        for n, (_, _, items) in enumerate(batch.responses)
                        for question, value, text in items
                    ]
                )
            bar.update(len(clients))


def _families() -> dict[str, Family]:
    current = dict(SurveyTemplate.objects.current().values_list("family", "pk"))
    families = {name: Family(pk, []) for name, pk in current.items()}
    by_template = {pk: name for name, pk in current.items()}
    questions = Question.objects.filter(template_id__in=list(by_template)).order_by(
        "template_id", "position"
    )
    for pk, template, construct, low, high, reverse, role in questions.values_list(
        "pk", "template_id", "construct", "scale_min", "scale_max", "reverse_keyed", "role"
    ):
        families[by_template[template]].questions.append((pk, construct, low, high, reverse, role))
    return families


def _course(first: int) -> dict[int, tuple[list[int], list[float]]]:
    """Each project's current reports from `first` on: period ends (ordinals) and SPI."""
    course: dict[int, tuple[list[int], list[float]]] = {}
    reports = (
        StatusReport.objects.current()
        .filter(period_end__gte=dt.date.fromordinal(first - 62))
        .order_by("project_id", "period_end")
        .values_list("project_id", "period_end", "spi")
    )
    for project, day, spi in reports.iterator(chunk_size=20_000):
        ends, values = course.setdefault(project, ([], []))
        ends.append(day.toordinal())
        values.append(spi if spi is not None else 1.0)
    return course


def _accepted(first: int) -> dict[int, list[tuple[int, int, dt.datetime]]]:
    """Milestones accepted since `first`, by project: (milestone id, acceptor, accepted at)."""
    accepted: dict[int, list[tuple[int, int, dt.datetime]]] = {}
    since = dt.datetime.combine(dt.date.fromordinal(first), dt.time(), tzinfo=dt.UTC)
    rows = (
        Milestone.objects.filter(accepted_at__gte=since, accepted_by__isnull=False)
        .order_by("project_id", "accepted_at", "pk")
        .values_list("project_id", "pk", "accepted_by_id", "accepted_at")
    )
    for project, pk, contact, when in rows:
        assert contact is not None and when is not None
        accepted.setdefault(project, []).append((pk, contact, when))
    return accepted


def _spi_at(course: dict[int, tuple[list[int], list[float]]], project: int, o: int) -> float:
    ends, values = course.get(project, ([], []))
    k = bisect.bisect_right(ends, o)
    return values[k - 1] if k else 1.0


@dataclass
class Mood:
    """How a respondent feels at the time: about the work, the PM and the firm (about 0 is
    content; +1 delighted; -2 angry)."""

    work: float
    pm: float
    firm: float


def _mood(
    rng: random.Random,
    client: ClientPlan,
    project: ProjectPlan,
    spi: float,
    o: int,
) -> Mood:
    # The project's own mood is the difference its manager makes (see demo.matching).
    base = 0.7 * client.mood + project.mood + rng.gauss(0, 0.55)
    if client.silent and o > client.end:
        base -= 1.1  # nobody has been in touch
    work = 0.35 if spi >= 0.99 else 0.1 if spi >= 0.95 else -0.7 if spi >= 0.9 else -1.6
    pm = firm = base + work
    if project.manager.habit == "native":
        pm += 0.7  # one of us
        firm -= 1.0  # the scope given away is not the firm's gift; the firm says no later
    return Mood(work=base + work, pm=pm, firm=firm)


@dataclass(frozen=True)
class Situation:
    """What the respondent has lived through, which the reason they give follows."""

    spi: float  # the project's schedule performance at the time
    silent: bool  # nobody from the firm has been in touch lately
    native: bool  # the PM has gone native: liked, but the firm says no


def _reason(rng: random.Random, nps: int, situation: Situation, project: ProjectPlan) -> str:
    """A reason that matches the score and what the respondent lived through: promoters praise,
    detractors complain about what went wrong (slipped milestones on a slipping project, the
    firm behind a native PM, silence at a neglected account), with an optional detail."""
    group = "promoter" if nps >= 9 else "passive" if nps >= 7 else "detractor"
    weights = dict(THEME_WEIGHTS[group])
    spi = situation.spi
    if group == "promoter":
        weights["delivery"] = 3.0 if spi >= 0.99 else 0.5
        if situation.native:
            weights["pm"] += 2.0
    elif group == "passive":
        if spi < 0.99:
            weights["pace"] = 3.0
    else:
        weights["slipping"] = 4.0 if spi < 0.95 else 1.5 if spi < 0.99 else 0.3
        if spi < 0.95:
            weights["quality"] += 1.0
        if situation.silent:
            weights["silence"] = 5.0
        if situation.native:
            weights["native"] = 4.0
    themes = list(weights)
    theme = rng.choices(themes, [weights[name] for name in themes])[0]
    text = rng.choice(SURVEY_REASONS[group][theme])
    if rng.random() < FOLLOW_UP_SHARE:
        text = f"{text} {rng.choice(SURVEY_FOLLOW_UPS[group])}"
    return _say(text, project)


def _say(text: str, project: ProjectPlan) -> str:
    return text.format(pm=project.manager.first_name, project=project.name)


def _scale(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _answers(
    rng: random.Random,
    family: str,
    spec: Family,
    mood: Mood,
    project: ProjectPlan,
    situation: Situation,
) -> tuple[list[tuple[int, int | None, str]], int | None, int | None]:
    """The answers of one response and its stored NPS and CSAT."""
    items: list[tuple[int, int | None, str]] = []
    nps = csat = None
    style = dict(zip(ROLES[1:], project.manager.style, strict=True))
    native = project.manager.habit == "native"
    for pk, construct, low, high, reverse, role in spec.questions:
        if low is None or high is None:  # free text
            text = ""
            if construct == "reason" and nps is not None and rng.random() < REASON_SHARE:
                text = _reason(rng, nps, situation, project)
            elif construct == "comment" and csat is not None and rng.random() < COMMENT_SHARE:
                group = "delighted" if csat >= 5 else "satisfied" if csat >= 4 else "unhappy"
                text = _say(rng.choice(SURVEY_COMMENTS[group]), project)
            if text:
                items.append((pk, None, text))
            continue
        if construct == "recommend":
            felt = 0.5 * mood.firm + 0.5 * mood.work
            value = _scale(8.3 + 1.7 * felt + rng.gauss(0, 0.7), low, high)
            nps = value
        elif construct == "satisfaction" and family == "csat":
            value = _scale(3.9 + 0.9 * mood.work + rng.gauss(0, 0.5), low, high)
            csat = value
        elif construct == "pm_rating":
            value = _scale(7.9 + 1.4 * mood.pm + rng.gauss(0, 0.6), low, high)
        elif construct == "firm_rating":
            value = _scale(7.6 + 1.4 * mood.firm + rng.gauss(0, 0.6), low, high)
        elif construct == "role":
            if role == "implementer":
                felt = 3.8 + 0.8 * mood.work
            else:
                felt = 1.6 + 1.4 * style.get(role, 1.0) + 0.3 * mood.pm
                if role == "friend" and native:
                    felt += 1.2
            value = _scale(felt + rng.gauss(0, 0.5), low, high)
        else:  # relationship items, 1-7
            drive = {
                "cognitive_trust": mood.work,
                "affective_trust": mood.pm,
                "firm_trust": mood.firm,
            }.get(construct, 0.5 * (mood.work + mood.firm))
            agree = _scale(5.4 + 1.0 * drive + rng.gauss(0, 0.6), low, high)
            value = low + high - agree if reverse else agree
        items.append((pk, value, ""))
    return items, nps, csat


@dataclass
class Inputs:
    """What every client's waves read: the templates, the projects' course and accepted
    milestones, and the policy's minimum gap between two invitations and expiry (days)."""

    families: dict[str, Family]
    course: dict[int, tuple[list[int], list[float]]]
    accepted: dict[int, list[tuple[int, int, dt.datetime]]]
    gap: int
    expiry: int


def _power(client: ClientPlan, k: int) -> int:
    """A contact's power (1-5), read back from the plan's cumulative power-squared weights."""
    weights = client.contact_weights
    own = weights[k] - (weights[k - 1] if k else 0.0)
    return round(math.sqrt(own))


def _wide(client: ClientPlan) -> bool:
    """The larger accounts, which invite every contact of high or medium power each quarter."""
    return client.big or client.tier in WIDE_TIERS


def _client_rows(
    ctx: Context, rng: random.Random, client: ClientPlan, inputs: Inputs, batch: Batch
) -> None:
    if not client.contact_ids:
        return
    today = ctx.today_ord
    projects = [p for p in client.projects if p.status in LIVE]
    if not projects:
        return
    gap = inputs.gap
    index = {pk: k for k, pk in enumerate(client.contact_ids)}
    last: dict[int, int] = {}  # contact id -> ordinal of the latest invitation
    # A client's wave day is fixed, so its waves are exactly a quarter apart.
    shift = between(rng, 3, 30)
    waves = [today - shift - WAVE_DAYS * k for k in range(WAVES - 1, -1, -1)]
    Accepted = tuple[ProjectPlan, tuple[int, int, dt.datetime]]
    events: list[tuple[int, int, Accepted | None]] = [(o, 0, None) for o in waves]
    for project in projects:
        for item in inputs.accepted.get(project.id, []):
            o = item[2].date().toordinal() + between(rng, 1, 3)
            events.append((o, 1, (project, item)))
    events.sort(key=lambda event: (event[0], event[1]))
    wide = _wide(client)
    # The larger accounts ask everyone of high or medium power, the others their senior people.
    pool = (
        [k for k in range(len(client.contact_ids)) if _power(client, k) >= WIDE_POWER]
        if wide
        else client.senior_contacts
    )
    for o, kind, payload in events:
        if o >= today:
            continue
        if kind == 0:
            live = [p for p in projects if p.start + 30 <= o <= _end(p, today)]
            if not live:
                continue
            eligible = [
                k
                for k in pool
                if client.contact_left[k] > o + 30
                and o - last.get(client.contact_ids[k], -(10**6)) > gap
            ]
            if not eligible:
                continue
            if wide:
                chosen = eligible
            else:
                count = min(len(eligible), between(rng, 1, 3))
                chosen = sorted(rng.sample(eligible, count))
            for n, k in enumerate(chosen):
                # Each contact of a larger account follows one project while it runs.
                project = live[(k if wide else n) % len(live)]
                family = rng.choices(CADENCE_FAMILIES, CADENCE_WEIGHTS)[0]
                if family not in inputs.families:
                    family = "nps"
                contact = client.contact_ids[k]
                last[contact] = o
                medium = wide and _power(client, k) < 4
                _invite(
                    ctx,
                    rng,
                    client,
                    project,
                    contact,
                    None,
                    "cadence",
                    family,
                    o,
                    inputs,
                    batch,
                    medium=medium,
                )
        elif payload is not None:
            project, (milestone, acceptor, _) = payload
            if "csat" not in inputs.families:
                continue
            contact = acceptor
            known = index.get(acceptor)
            if known is None or o - last.get(acceptor, -(10**6)) <= gap:
                # The acceptor had a survey lately: ask someone else who was there.
                others = [
                    pk
                    for j, pk in enumerate(client.contact_ids)
                    if client.contact_left[j] > o + 30 and o - last.get(pk, -(10**6)) > gap
                ]
                if not others:
                    continue
                contact = others[between(rng, 0, len(others) - 1)]
            last[contact] = o
            _invite(
                ctx, rng, client, project, contact, milestone, "milestone", "csat", o, inputs, batch
            )


def _end(project: ProjectPlan, today: int) -> int:
    return max(project.end, today) if project.status in ("active", "on_hold") else project.end


def _invite(
    ctx: Context,
    rng: random.Random,
    client: ClientPlan,
    project: ProjectPlan,
    contact: int,
    milestone: int | None,
    trigger: str,
    family: str,
    o: int,
    inputs: Inputs,
    batch: Batch,
    *,
    medium: bool = False,
) -> None:
    spec = inputs.families[family]
    expiry = inputs.expiry
    created = at(o, between(rng, 8, 10), rng.choice((0, 15, 30, 45)), client.time_zone)
    expires = created + dt.timedelta(days=expiry)
    spi = _spi_at(inputs.course, project.id, o)
    mood = _mood(rng, client, project, spi, o)
    if medium:
        mood = Mood(
            work=mood.work + MEDIUM_POWER_MOOD,
            pm=mood.pm + MEDIUM_POWER_MOOD,
            firm=mood.firm + MEDIUM_POWER_MOOD,
        )
    silent = client.silent and o > client.end
    rate = RESPONSE_RATE + 0.06 * client.mood + (0.05 if client.big else 0.0)
    if silent:
        rate -= 0.15
    if trigger == "milestone":
        rate += 0.08  # fresh in their minds
    days = min(expiry - 1, int(rng.expovariate(1 / 4)))
    submitted = created + dt.timedelta(
        days=days, hours=between(rng, 1, 9), minutes=between(rng, 0, 59)
    )
    answered = rng.random() < rate and submitted < ctx.now
    reminded = None
    if not answered or days >= REMIND_AFTER:
        remind_at = created + dt.timedelta(days=REMIND_AFTER)
        if remind_at < ctx.now:
            reminded = remind_at
    token = hashlib.sha256(secrets.token_bytes(32)).hexdigest()
    batch.invitations.append(
        (
            spec.template,
            project.id,
            contact,
            milestone,
            trigger,
            token,
            created,
            expires,
            created,
            reminded,
            submitted if answered else None,
        )
    )
    if not answered:
        return
    situation = Situation(spi=spi, silent=silent, native=project.manager.habit == "native")
    items, nps, csat = _answers(rng, family, spec, mood, project, situation)
    row = (spec.template, client.id, project.id, contact, project.manager.id, submitted, nps, csat)
    batch.responses.append((len(batch.invitations) - 1, row, items))
