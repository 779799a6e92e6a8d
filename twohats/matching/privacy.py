"""Who may read a staff member's personality, and the fit with it folded away for everyone else.

A staff personality profile (a PM's own traits) may be seen only by the person, the director of
their practice (the practice's lead) and administrators: never executives as such, other
directors or teammates (`PersonalityProfile.objects.visible_to` encodes the same rule). The
parts of a fit that read the PM's own traits would give them away, so for anyone else they are
folded into one "personality" part: its total, with no trait named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from twohats.matching.fit import Fit, Part
from twohats.matching.models import staff_profiles_seen_by
from twohats.people.models import User

# Parts of the fit that read the PM's own traits ("trait_similarity.<trait>" included).
PERSONAL = ("trait_similarity", "profile_distance", "profile_correlation", "pm_levels")
PERSONALITY = "personality"


def is_personal(name: str) -> bool:
    return name.split(".")[0] in PERSONAL


def personality_words(points: float) -> str:
    return PERSONALITY + (" in their favour" if points >= 0 else " against them")


def fold(fit: Fit) -> Fit:
    """The fit with the parts that reveal the PM's traits folded into one "personality" part."""
    personal = [p for p in fit.parts if is_personal(p.name)]
    if not personal:
        return fit
    points = sum(p.points for p in personal)
    others = [p for p in fit.parts if not is_personal(p.name)]
    folded = Part(PERSONALITY, points, personality_words(points))
    return Fit(fit.score, [folded, *others], fit.missing)


def fold_points(points: Mapping[str, float]) -> dict[str, float]:
    """Points by part name with the personal parts summed into one "personality" entry (absent
    when no personal part is known)."""
    personal = [v for name, v in points.items() if is_personal(name)]
    out = {name: v for name, v in points.items() if not is_personal(name)}
    if personal:
        out[PERSONALITY] = float(sum(personal))
    return out


def profiles_seen_by(viewer: User, user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` whose personality profile `viewer` may see (at most one query)."""
    ids = set(user_ids)
    # Without a query where the rule's answer is plain: everyone for an admin; only themself
    # for anyone who leads no practice.
    if viewer.is_admin:
        return ids
    if not viewer.is_director or ids <= {viewer.pk}:
        return ids & {viewer.pk}
    seen_by = staff_profiles_seen_by(viewer)
    return set(User.objects.filter(seen_by, pk__in=ids).values_list("pk", flat=True))


def sees_profile_of(viewer: User, user: User) -> bool:
    """Whether `viewer` may see `user`'s personality profile (the person, their director,
    administrators)."""
    return user.pk in profiles_seen_by(viewer, [user.pk])


def fold_unless_seen(fit: Fit, viewer: User, pm: User) -> Fit:
    return fit if sees_profile_of(viewer, pm) else fold(fit)
