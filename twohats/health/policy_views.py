from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from twohats.health.models import HealthPolicy
from twohats.health.policy_forms import PolicyForm
from twohats.health.services import policy_publish
from twohats.web import add_errors, user_of


@login_required
def policy_edit(request: HttpRequest) -> HttpResponse:
    """Administrators publish a new version of the health policy; everyone else may read it."""
    user = user_of(request)
    active = HealthPolicy.objects.active()
    form = PolicyForm(request.POST or None, policy=active.rules)
    if request.method == "POST":
        if not user.is_admin:
            raise PermissionDenied("Only administrators change the health policy.")
        if form.is_valid():
            try:
                policy = policy_publish(
                    actor=user, config=form.config(), note=form.cleaned_data["note"]
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Version {policy.version} is now the health policy; snapshots use it from "
                    "the next computation.",
                )
                return redirect("health:policy")
    versions = HealthPolicy.objects.select_related("created_by").order_by("-version")[:20]
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "active": active, "versions": versions, "can_change": user.is_admin}
    return render(request, "health/policy.html", context, status=status)
