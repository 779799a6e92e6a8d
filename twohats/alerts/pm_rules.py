"""The rules about PMs rather than accounts: going native (rule 1) and the role mix (rule 7,
for PMs). `rules.RULES` runs them with the others."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twohats.alerts.models import Rule, Severity
from twohats.alerts.services import Finding
from twohats.clients.models import Client
from twohats.health.models import HealthPolicy
from twohats.people.models import Role, User

if TYPE_CHECKING:
    from twohats.alerts.rules import Context


def _pms() -> dict[int, str]:
    return {
        pk: (f"{first} {last}".strip() or username)
        for pk, first, last, username in User.objects.filter(
            role=Role.PM, is_active=True
        ).values_list("id", "first_name", "last_name", "username")
    }


def going_native(ctx: Context) -> dict[str, list[Finding]]:
    """Rule 1: over the last N weeks the PM worked at one client's site on more than the policy
    share of workdays and has not been at the home office for N workdays. Severity rises with
    the PM's tenure as that account's lead, and with the change requests they absorbed in the
    window (their count, or their value as a share of the budgets of the PM's projects)."""
    from twohats.health.independence import absorbed_changes, independence

    pms = _pms()
    found = independence(until=ctx.today, weeks=ctx.rules.native_weeks, user_ids=list(pms))
    absorbed = absorbed_changes(until=ctx.today, weeks=ctx.rules.native_weeks, user_ids=list(found))
    leads = {
        (row[0], row[1]): row[2]
        for row in Client.objects.filter(account_lead_id__in=list(found)).values_list(
            "account_lead_id", "id", "account_lead_since"
        )
    }
    names = dict(
        Client.objects.filter(
            pk__in=[i.top_client_id for i in found.values() if i.top_client_id]
        ).values_list("id", "name")
    )
    findings = []
    for user_id, seen in found.items():
        if not seen.workdays or seen.top_client_id is None:
            continue
        share = seen.top_client_days / seen.workdays
        if share <= ctx.rules.native_site_share:
            continue
        if seen.workdays_since_home_office < ctx.rules.native_home_absence_days:
            continue
        since = leads.get((user_id, seen.top_client_id))
        tenure = (ctx.today - since).days / 365.25 if since else 0.0
        long_tenure = tenure >= ctx.rules.native_rotation_years
        client = names.get(seen.top_client_id, "a client")
        playbook = [
            "Return to the home office for the weekly review",
            "Rotate a team member onto the client's site for some of the days",
        ]
        if long_tenure:
            playbook.append("Plan a rotation of the account lead with your director")
        gave = absorbed.get(user_id)
        gives_away = gave is not None and (
            gave.count >= ctx.rules.native_absorbed_count
            or (gave.share or 0) >= ctx.rules.native_absorbed_share
        )
        if gives_away:
            playbook.append("Convert the absorbed change into a billed change request")
        findings.append(
            Finding(
                rule=Rule.GOING_NATIVE,
                subject_key=f"pm:{user_id}",
                severity=Severity.HIGH
                if long_tenure or share > 0.95 or gives_away
                else Severity.MEDIUM,
                title=f"{pms[user_id]}: {share:.0%} of workdays at {client}'s site, "
                f"{seen.workdays_since_home_office} workdays since the home office",
                evidence={
                    "site_share": round(share, 4),
                    "policy_share": ctx.rules.native_site_share,
                    "workdays": seen.workdays,
                    "days_at_site": seen.top_client_days,
                    "workdays_since_home_office": seen.workdays_since_home_office,
                    "last_home_office": seen.last_home_office.isoformat()
                    if seen.last_home_office
                    else None,
                    "lead_tenure_years": round(tenure, 1),
                    "absorbed_changes": gave.count if gave else 0,
                    "absorbed_value": float(gave.value) if gave else 0.0,
                    "absorbed_share": round(gave.share, 4) if gave and gave.share else None,
                    "policy_absorbed_count": ctx.rules.native_absorbed_count,
                    "policy_absorbed_share": ctx.rules.native_absorbed_share,
                },
                playbook=playbook,
                client_id=seen.top_client_id,
                pm_id=user_id,
                owner_id=user_id,
            )
        )
    return {Rule.GOING_NATIVE: findings}


def role_mix(ctx: Context) -> dict[str, list[Finding]]:
    """Rule 7 (PMs): the PM's role mix over the window departs from the firm's target by more
    than the policy allows (total variation distance between the shares)."""
    from twohats.health.roles import neglected_roles, role_distance
    from twohats.health.roles import role_mix as measure_mix

    pms = _pms()
    target = HealthPolicy.objects.active().rules.role_target
    mixes = measure_mix(
        by="pm", since=ctx.ago(ctx.rules.role_window_days), until=ctx.now, ids=list(pms)
    )
    findings = []
    for user_id, mix in mixes.items():
        distance = role_distance(mix, target)
        if distance <= ctx.rules.role_distance_max:
            continue
        neglected = neglected_roles(mix, target)
        findings.append(
            Finding(
                rule=Rule.ROLE_MIX,
                subject_key=f"pm:{user_id}",
                severity=Severity.MEDIUM
                if distance > 1.5 * ctx.rules.role_distance_max
                else Severity.LOW,
                title=f"{pms[user_id]}: role mix {distance:.0%} away from the firm's target",
                evidence={
                    "mix": mix,
                    "distance": distance,
                    "policy_distance": ctx.rules.role_distance_max,
                    "neglected": neglected,
                },
                playbook=[f"Make room for it: {text}" for text in neglected[:2]]
                or ["Review the role balance on your page with your director"],
                pm_id=user_id,
                owner_id=user_id,
            )
        )
    return {Rule.ROLE_MIX: findings}
