"""Role balance: how a PM's (or a client's) interaction time splits over the six roles.

Each interaction's duration is split equally among the roles it served (a 60-minute meeting
that served the implementer and the coach gives 30 minutes to each); a subject's mix is each
role's minutes over all its minutes. One GROUP BY with conditional sums for all subjects at
once; interactions that served no role are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from django.db import connection

from twohats.interactions.models import ROLES, Interaction

ROLE_ORDER = tuple(name for name, _, _ in ROLES)
ROLE_LABELS = {name: label for name, label, _ in ROLES}
ROLE_MEANINGS = {name: meaning for name, _, meaning in ROLES}

# A role is neglected when it gets less than this part of its target share.
NEGLECTED_BELOW = 0.5

Mix = dict[str, float]

_FLAGS = [f"i.role_{name}" for name in ROLE_ORDER]
_SERVED = " + ".join(f"CASE WHEN {flag} THEN 1 ELSE 0 END" for flag in _FLAGS)

# Each interaction's minutes per role served, then the sums per subject (a PM through the
# interaction's staff, or a client).
MIX_SQL = f"""
WITH served AS (
    SELECT {{subject}} AS subject,
           CAST(i.duration_minutes AS DOUBLE PRECISION) / ({_SERVED}) AS minutes,
           {", ".join(_FLAGS)}
    FROM {{interactions}} i {{join}}
    WHERE i.occurred_at >= %s AND i.occurred_at < %s
      AND ({" OR ".join(_FLAGS)}) {{only}}
)
SELECT subject, {", ".join(f"SUM(CASE WHEN role_{n} THEN minutes ELSE 0 END)" for n in ROLE_ORDER)}
FROM served
GROUP BY subject
"""


def role_mix(
    *,
    by: Literal["pm", "client"],
    since: dt.datetime,
    until: dt.datetime,
    ids: Iterable[int] | None = None,
) -> dict[int, Mix]:
    """Per PM (each interaction they took part in, as one of its staff) or per client, the share
    of interaction time that served each role, from `since` (included) to `until` (excluded).

    Shares are in role order and sum to 1; a subject without interactions is absent."""
    quote = connection.ops.quote_name
    interactions = quote(Interaction._meta.db_table)
    if by == "pm":
        staff = quote(Interaction.staff.through._meta.db_table)
        subject, join = "s.user_id", f"JOIN {staff} s ON s.interaction_id = i.id"
    else:
        subject, join = "i.client_id", ""
    # As the ORM would pass them (SQLite compares the text of naive UTC times).
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [adapt(since), adapt(until)]
    only = ""
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return {}
        only = f"AND {subject} IN ({', '.join(['%s'] * len(wanted))})"
        params += wanted
    sql = MIX_SQL.format(subject=subject, interactions=interactions, join=join, only=only)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    mixes: dict[int, Mix] = {}
    for subject_id, *sums in rows:
        minutes = [float(value or 0) for value in sums]
        total = sum(minutes)
        if total > 0:
            mixes[subject_id] = {
                name: round(share / total, 6)
                for name, share in zip(ROLE_ORDER, minutes, strict=True)
            }
    return mixes


def target_shares(target_per_cent: Mapping[str, float]) -> Mix:
    """The policy's target mix (in per cent) as shares that sum to 1, in role order."""
    total = sum(target_per_cent.get(name, 0.0) for name in ROLE_ORDER) or 1.0
    return {name: target_per_cent.get(name, 0.0) / total for name in ROLE_ORDER}


def role_distance(mix: Mapping[str, float], target_per_cent: Mapping[str, float]) -> float:
    """The total variation distance between a mix and the target: half the sum of the absolute
    differences of the shares; 0 is the target exactly, 1 shares nothing with it."""
    target = target_shares(target_per_cent)
    distance = 0.5 * sum(abs(mix.get(name, 0.0) - target[name]) for name in ROLE_ORDER)
    return round(distance, 6)


def neglected_roles(mix: Mapping[str, float], target_per_cent: Mapping[str, float]) -> list[str]:
    """The roles whose share is below half their target, in plain words, most neglected first."""
    target = target_shares(target_per_cent)
    short = [
        (mix.get(name, 0.0) / target[name], position, name)
        for position, name in enumerate(ROLE_ORDER)
        if target[name] > 0 and mix.get(name, 0.0) < NEGLECTED_BELOW * target[name]
    ]
    return [
        f"{ROLE_LABELS[name]} ({ROLE_MEANINGS[name]}): {_per_cent(mix.get(name, 0.0))} of the "
        f"time against a target of {_per_cent(target[name])}"
        for _, _, name in sorted(short)
    ]


def _per_cent(share: float) -> str:
    return f"{share * 100:.0f} %"
