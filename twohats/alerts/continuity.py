"""The continuity rule: when a client's primary representative changes, the account lead's fit
with the new representative is recomputed; below the fit policy's `continuity_threshold`, or
when the representative left (or was removed) and nobody replaces them, an alert opens for the
account lead, with the fit's main parts in words, the three PMs who fit the new representative
best and have room for the account, and the handover steps.

How a change is seen, from data the system keeps anyway:

- the audit log: an update of `Client.primary_contact` within the health policy's
  `key_contact_days` (the first change in the window gives the old representative);
- the rule's own alert: while a continuity alert is live (or dismissed and still holding), its
  evidence remembers the old representative, so the alert outlives the audit window and
  resolves only when the fit is restored, the representative changes back or a better fitting
  account lead takes over;
- the representative's own record: a primary contact who left (`left_on` today or before) or
  was archived, while still named primary, is a standing gap with no replacement.

Like the other rules it is set-based: a few queries over every account, then two fit matrices
(account leads × new representatives, candidate PMs × the representatives that fit poorly),
whatever the number of clients. `client_ids` narrows it to a few clients (the same queries,
filtered): the clients app runs it for one client as soon as its representative changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, Sum

from twohats.alerts.models import LIVE, Alert, Rule, Severity, Status
from twohats.alerts.services import Finding
from twohats.clients.models import Client, Contact
from twohats.matching.fit import PART_LABELS
from twohats.matching.models import FitPolicy, StaffingConflict
from twohats.matching.policy import PARTS
from twohats.matching.privacy import PERSONAL, PERSONALITY, fold_points, personality_words
from twohats.people.models import Role, User

if TYPE_CHECKING:
    from twohats.alerts.rules import Account, Context
    from twohats.matching.selectors import FitMatrix

ALTERNATIVES = 3
# Below the threshold by this much, the alert is high (and escalates to the director).
SEVERE_BELOW = 15
# What each part of the fit says when it counts for the pair, and when against it.
PART_WORDS = {
    "trait_similarity": ("similar personalities", "far apart in personality"),
    "profile_distance": ("profiles close overall", "profiles far apart overall"),
    "profile_correlation": ("profiles alike in shape", "profiles opposite in shape"),
    "perceived_similarity": ("they see themselves as alike", "they do not see themselves as alike"),
    "pm_levels": (
        "a conscientious, agreeable, steady PM",
        "the PM below average on conscientiousness, agreeableness and stability",
    ),
    "client_experience": ("has run projects for the client", "no past project for the client"),
    "industry_experience": ("has run projects in the industry", "no project in the industry"),
    "prior_outcomes": ("good past work together", "poor past work together"),
    "workload": ("room in the workload", "a heavy workload"),
    # The parts above that read the PM's own traits, folded into one (matching.privacy).
    PERSONALITY: (personality_words(1.0), personality_words(-1.0)),
}


# ---------------------------------------------------------------------------------------------
# Reading a fit matrix in words (shared with the fit partials of the contact and PM pages)


@dataclass(frozen=True)
class PartPoints:
    name: str
    points: float

    @property
    def words(self) -> str:
        good, bad = PART_WORDS.get(self.name, (PART_LABELS.get(self.name, self.name),) * 2)
        return good if self.points >= 0 else bad

    def __str__(self) -> str:
        return f"{self.words} ({self.points:+.0f})"


def _pair_points(matrix: FitMatrix, i: int, j: int, *, private: bool) -> dict[str, float]:
    """The known parts' points of pair (i, j); with `private`, the parts that read the PM's own
    traits folded into one "personality" part."""
    points = {
        name: float(matrix.points[name][i, j])
        for name in PARTS
        if not np.isnan(matrix.points[name][i, j])
    }
    return fold_points(points) if private else points


def main_parts(
    matrix: FitMatrix, i: int, j: int, n: int = 3, *, private: bool = False
) -> list[PartPoints]:
    """The parts that move pair (i, j) furthest from 50, largest first; parts worth less than
    half a point are left out. With `private`, the PM's own traits count as one part."""
    parts = [PartPoints(name, v) for name, v in _pair_points(matrix, i, j, private=private).items()]
    parts = [p for p in parts if round(p.points)]
    return sorted(parts, key=lambda p: -abs(p.points))[:n]


def weakest_part(matrix: FitMatrix, i: int, j: int, *, private: bool = False) -> PartPoints | None:
    """The part that costs pair (i, j) the most points, if any costs any. With `private` (a
    viewer who may not see the PM's profile), the PM's own traits count as one part."""
    parts = [
        PartPoints(name, v)
        for name, v in _pair_points(matrix, i, j, private=private).items()
        if v < -0.5
    ]
    return min(parts, key=lambda p: p.points) if parts else None


@dataclass(frozen=True)
class Alternative:
    pm_id: int
    name: str
    score: float

    def __str__(self) -> str:
        return f"{self.name} (fit {self.score:.0f})"


def candidate_pms(queryset: Any = None) -> dict[int, str]:
    """Active PMs who could lead an account, by id with their names (one query)."""
    users = User.objects.all() if queryset is None else queryset
    return {
        pk: (f"{first} {last}".strip() or username)
        for pk, first, last, username in users.filter(role=Role.PM, is_active=True)
        .order_by("pk")
        .values_list("id", "first_name", "last_name", "username")
    }


def account_loads(client_ids: Iterable[int]) -> dict[int, float]:
    """The PM hours a week of each client's current projects: what a new account lead takes on
    (one query)."""
    from twohats.matching.selectors import CURRENT
    from twohats.projects.models import Project

    rows = (
        Project.objects.filter(
            client_id__in=list(client_ids), status__in=CURRENT, archived_at__isnull=True
        )
        .values("client_id")
        .annotate(hours=Sum("pm_hours_per_week"))
        .order_by()
    )
    return {r["client_id"]: float(r["hours"] or 0) for r in rows}


def conflicts(client_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(PM, client) pairs that must not be staffed together (one query)."""
    return set(
        StaffingConflict.objects.filter(client_id__in=list(client_ids)).values_list(
            "user_id", "client_id"
        )
    )


def best_alternatives(
    matrix: FitMatrix,
    j: int,
    *,
    names: dict[int, str],
    client_id: int,
    exclude: Iterable[int] = (),
    blocked: Iterable[tuple[int, int]] = (),
    better_than: float | None = None,
    n: int = ALTERNATIVES,
) -> list[Alternative]:
    """The PMs of the matrix who fit column j best, with room for the load of the column and no
    conflict with the client; at most n, best first, only those above `better_than`."""
    skip, blocked = set(exclude), set(blocked)
    found = []
    for i, pm_id in enumerate(matrix.pm_ids):
        score = float(matrix.score[i, j])
        if pm_id in skip or (pm_id, client_id) in blocked or not matrix.feasible_load[i, j]:
            continue
        if better_than is not None and score <= better_than:
            continue
        found.append(Alternative(pm_id, names.get(pm_id, str(pm_id)), round(score, 1)))
    found.sort(key=lambda a: (-a.score, a.name, a.pm_id))
    return found[:n]


# ---------------------------------------------------------------------------------------------
# The rule


@dataclass
class Change:
    account: Account
    old_id: int | None
    new_id: int | None


def _as_id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None  # "None", or a value auditlog could not write as a key


def _logged_changes(
    ctx: Context, client_ids: Collection[int] | None = None
) -> dict[int, int | None]:
    """Clients whose primary representative changed in the window: the representative before
    the first change in it (one query, two on a cold content-type cache)."""
    since = ctx.ago(ctx.rules.key_contact_days)
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Client),
        action=LogEntry.Action.UPDATE,
        timestamp__gt=since,
        timestamp__lte=ctx.now,
        changes__has_key="primary_contact",
    )
    if client_ids is not None:
        entries = entries.filter(object_pk__in=[str(pk) for pk in client_ids])
    entries = entries.order_by("timestamp", "id").values_list("object_pk", "changes")
    before: dict[int, int | None] = {}
    for object_pk, changes in entries:
        client_id = _as_id(object_pk)
        if client_id is None or client_id in before or not isinstance(changes, dict):
            continue
        values = changes.get("primary_contact")
        if isinstance(values, list) and len(values) == 2:
            before[client_id] = _as_id(values[0])
    return before


def _remembered(client_ids: Collection[int] | None = None) -> dict[int, int | None]:
    """The old representative each continuity alert still holding remembers (one query)."""
    alerts = Alert.objects.filter(rule=Rule.CONTINUITY, client__isnull=False).filter(
        Q(status__in=LIVE) | Q(status=Status.DISMISSED, condition_cleared_at=None)
    )
    if client_ids is not None:
        alerts = alerts.filter(client_id__in=list(client_ids))
    rows = alerts.values_list("client_id", "evidence")
    return {
        client_id: _as_id(evidence.get("previous_contact_id"))
        for client_id, evidence in rows
        if isinstance(evidence, dict)
    }


def _name(row: Mapping[str, Any] | None) -> str:
    if row is None:
        return "the former representative"
    return f"{row['first_name']} {row['last_name']}".strip()


def continuity(ctx: Context, client_ids: Collection[int] | None = None) -> dict[str, list[Finding]]:
    """The continuity findings of every account, or of the accounts of `client_ids` only (their
    alerts are then the only ones to reconcile: `alerts_apply(..., client_ids=...)`)."""
    if client_ids is not None:
        client_ids = set(client_ids)
    accounts = [a for a in ctx.accounts.values() if client_ids is None or a.id in client_ids]
    logged, remembered = _logged_changes(ctx, client_ids), _remembered(client_ids)
    primaries = {a.id: a.primary_contact_id for a in accounts}
    wanted = {pk for pk in primaries.values() if pk} | {
        pk for pk in [*logged.values(), *remembered.values()] if pk
    }
    people = {
        row["id"]: row
        for row in Contact.objects.filter(pk__in=wanted).values(
            "id", "first_name", "last_name", "left_on", "archived_at"
        )
    }

    def gone(pk: int | None) -> bool:
        row = people.get(pk) if pk else None
        return (
            row is None
            or row["archived_at"] is not None
            or (row["left_on"] is not None and row["left_on"] <= ctx.today)
        )

    gaps: list[Change] = []
    changes: list[Change] = []
    for account in accounts:
        current = account.primary_contact_id
        if account.id in remembered:
            old = remembered[account.id]
        elif account.id in logged:
            old = logged[account.id]
        else:
            old = current  # no change seen: only a representative who left is a gap
        if old == current:
            if current is not None and gone(current):
                gaps.append(Change(account, current, None))
            continue
        if current is None or gone(current):
            gaps.append(Change(account, old, None))
        else:
            changes.append(Change(account, old, current))

    findings = [_gap_finding(ctx, change, people) for change in gaps]
    findings += _fit_findings(ctx, changes, people)
    return {Rule.CONTINUITY: findings}


def _gap_finding(ctx: Context, change: Change, people: Mapping[int, Mapping[str, Any]]) -> Finding:
    old = people.get(change.old_id) if change.old_id else None
    who = _name(old)
    left_on = old["left_on"] if old else None
    if left_on is not None and left_on <= ctx.today:
        what = f"primary representative {who} left on {left_on:%Y-%m-%d}; nobody replaces them"
    elif old is not None and old["archived_at"] is not None:
        what = f"primary representative {who} is archived; nobody replaces them"
    else:
        what = f"no primary representative since {who} was removed"
    return change.account.finding(
        Rule.CONTINUITY,
        Severity.HIGH,
        what,
        {
            "previous_contact_id": change.old_id,
            "previous_contact": who,
            "contact_id": None,
            "left_on": left_on.isoformat() if left_on else None,
        },
        [
            "Ask the sponsor who now speaks for the client",
            "Name the new primary representative on the client page",
            "Meet the new representative face to face within 2 weeks",
        ],
    )


def _fit_findings(
    ctx: Context, changes: Sequence[Change], people: Mapping[int, Mapping[str, Any]]
) -> list[Finding]:
    if not changes:
        return []
    from twohats.matching.selectors import fit_matrix

    fit = FitPolicy.objects.active().rules
    threshold = fit.continuity_threshold
    leads = sorted({c.account.lead_id for c in changes})
    reps = sorted({c.new_id for c in changes if c.new_id})
    lead_fit = fit_matrix(leads, reps, fit)

    def lead_score(change: Change) -> float:
        assert change.new_id is not None
        return float(lead_fit.score[leads.index(change.account.lead_id), reps.index(change.new_id)])

    low = [c for c in changes if lead_score(c) < threshold]
    if not low:
        return []
    low_reps = sorted({c.new_id for c in low if c.new_id})
    client_ids = [c.account.id for c in low]
    loads = account_loads(client_ids)
    hours_of_rep = {c.new_id: loads.get(c.account.id, 0.0) for c in low}
    names = candidate_pms()
    lead_names = {
        pk: (f"{first} {last}".strip() or username)
        for pk, first, last, username in User.objects.filter(pk__in=leads).values_list(
            "id", "first_name", "last_name", "username"
        )
    }
    others = fit_matrix(list(names), low_reps, fit, hours=[hours_of_rep[r] for r in low_reps])
    blocked = conflicts(client_ids)
    findings = []
    for change in low:
        assert change.new_id is not None
        i, j = leads.index(change.account.lead_id), reps.index(change.new_id)
        score = float(lead_fit.score[i, j])
        # The evidence is seen by whoever sees the client (teammates, executives): never the
        # lead's own traits, only their total as one "personality" part.
        parts = main_parts(lead_fit, i, j, private=True)
        old, new = people.get(change.old_id) if change.old_id else None, people[change.new_id]
        old_name, new_name = _name(old), _name(new)
        lead_name = lead_names.get(change.account.lead_id, "the account lead")
        alternatives = best_alternatives(
            others,
            low_reps.index(change.new_id),
            names=names,
            client_id=change.account.id,
            exclude=[change.account.lead_id],
            blocked=blocked,
            better_than=score,
        )
        playbook = [f"Meet {new_name} face to face within 2 weeks"]
        if old is not None and change.old_id != change.new_id:
            playbook.append(
                f"Hold a joint session with {old_name} and {new_name} before the handover"
            )
        if alternatives:
            playbook.append(
                "If the fit does not improve, consider a better fitting account lead: "
                + ", ".join(str(a) for a in alternatives)
            )
        findings.append(
            change.account.finding(
                Rule.CONTINUITY,
                Severity.HIGH if score < threshold - SEVERE_BELOW else Severity.MEDIUM,
                f"new representative {new_name} fits {lead_name} at {score:.0f} "
                f"(policy {threshold:.0f})",
                {
                    "fit": round(score, 1),
                    "policy_threshold": threshold,
                    "fit_parts": [str(p) for p in parts] or ["no part moves the fit from 50"],
                    "contact_id": change.new_id,
                    "contact": new_name,
                    "previous_contact_id": change.old_id,
                    "previous_contact": old_name,
                    "alternatives": [str(a) for a in alternatives]
                    or ["none with room and a better fit"],
                    "alternative_ids": [a.pm_id for a in alternatives],
                },
                playbook,
            )
        )
    return findings


def continuity_forget_personality(
    *, user: User | None = None, contact: Contact | None = None
) -> int:
    """Drop the personality part from the evidence of the continuity alerts about `user` (as
    the account lead) or `contact` (as the new representative), once their profile is erased;
    the number of alerts changed."""
    alerts = Alert.objects.filter(rule=Rule.CONTINUITY)
    if user is not None:
        alerts = alerts.filter(pm=user)
    elif contact is not None:
        alerts = alerts.filter(evidence__contact_id=contact.pk)
    else:
        return 0
    # The folded part, and the personal parts' own words (evidence stored before they were
    # folded).
    personal = {PERSONALITY, *(w for n in PERSONAL for w in PART_WORDS[n])}
    personal |= set(PART_WORDS[PERSONALITY])
    changed = 0
    for alert in alerts.only("pk", "evidence"):
        evidence = alert.evidence if isinstance(alert.evidence, dict) else {}
        parts = evidence.get("fit_parts")
        if not isinstance(parts, list):
            continue
        kept = [p for p in parts if str(p).rsplit(" (", 1)[0] not in personal]
        if kept == parts:
            continue
        evidence["fit_parts"] = kept or ["the rest of the fit was erased on request"]
        alert.evidence = evidence
        alert.save(update_fields=["evidence"])
        changed += 1
    return changed
