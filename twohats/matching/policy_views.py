"""The fit policy page: every version's weights and note; an admin puts a proposed version
(from `twohats fit calibrate --propose`) in force. Admins only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from twohats.matching.fit import PART_LABELS
from twohats.matching.instruments import TRAIT_LABELS, TRAITS
from twohats.matching.models import FitPolicy
from twohats.matching.policy import PARTS, PERSONALITY_PARTS
from twohats.matching.services import fit_policy_accept
from twohats.people.models import User
from twohats.web import user_of


def _admin(request: HttpRequest) -> User:
    user = user_of(request)
    if not user.is_admin:
        raise PermissionDenied("Only administrators see and accept fit policies.")
    return user


@login_required
def policy_page(request: HttpRequest) -> HttpResponse:
    _admin(request)
    active = FitPolicy.objects.active()
    versions = list(
        FitPolicy.objects.select_related("created_by", "accepted_by").order_by("-version")[:20]
    )
    proposed = next((v for v in versions if not v.active and v.version > active.version), None)
    rows = [
        {
            "label": PART_LABELS[part],
            "personality": part in PERSONALITY_PARTS,
            "active": active.config["weights"].get(part),
            "proposed": proposed.config["weights"].get(part) if proposed else None,
        }
        for part in PARTS
    ]
    trait_rows = [
        {
            "label": TRAIT_LABELS[trait],
            "active": active.config.get("trait_weights", {}).get(trait, 1.0),
            "proposed": proposed.config.get("trait_weights", {}).get(trait, 1.0)
            if proposed
            else None,
        }
        for trait in TRAITS
    ]
    context = {
        "active": active,
        "proposed": proposed,
        "versions": versions,
        "rows": rows,
        "trait_rows": trait_rows,
    }
    return render(request, "matching/policy.html", context)


@login_required
@require_POST
def policy_accept(request: HttpRequest, version: int) -> HttpResponse:
    user = _admin(request)
    policy = get_object_or_404(FitPolicy, version=version)
    if not policy.active:
        fit_policy_accept(policy=policy, by=user)
        messages.success(request, f"Version {policy.version} is now the fit policy.")
    return redirect("fit_policy:page")
