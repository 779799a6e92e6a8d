from __future__ import annotations

from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from twohats.clients.models import Client, Contact
from twohats.interactions.models import Channel, Interaction
from twohats.interactions.selectors import timeline_queryset
from twohats.people.models import User
from twohats.projects.models import Project, ProjectStatus

SEARCH_LIMIT = 10


def today_for(user: User) -> dict[str, Any]:
    """The Today page: the user's open next steps, accounts and latest touchpoints."""
    visible = Interaction.objects.visible_to(user)
    next_steps = timeline_queryset(
        visible.filter(next_step_owner=user, next_step_done_at__isnull=True).exclude(next_step="")
    ).order_by("next_step_due", "occurred_at")[:15]
    accounts = (
        Client.objects.visible_to(user)
        .active()
        .filter(Q(account_lead=user) | Q(projects__manager=user))
        .distinct()
        .annotate(
            last_touch=Max("interactions__occurred_at"),
            last_face_to_face=Max(
                "interactions__occurred_at", filter=Q(interactions__channel=Channel.IN_PERSON)
            ),
        )
        .order_by("last_touch")[:25]
    )
    projects = (
        Project.objects.worked_on_by(user)
        .active()
        .filter(status=ProjectStatus.ACTIVE)
        .select_related("client")
        .order_by("end_date")[:15]
    )
    return {
        "next_steps": list(next_steps),
        "accounts": list(accounts),
        "projects": list(projects),
        "recent": list(timeline_queryset(visible.filter(logged_by=user))[:8]),
        "today": timezone.localdate(),
    }


def search(user: User, text: str) -> dict[str, Any]:
    text = text.strip()[:100]
    if len(text) < 2:
        return {"clients": [], "contacts": [], "projects": [], "too_short": bool(text)}
    words = text.split()
    contact_q = Q()
    for word in words:
        contact_q &= (
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    return {
        "clients": list(
            Client.objects.visible_to(user)
            .filter(name__icontains=text)
            .select_related("account_lead")[:SEARCH_LIMIT]
        ),
        "contacts": list(
            Contact.objects.visible_to(user)
            .filter(contact_q)
            .select_related("client")[:SEARCH_LIMIT]
        ),
        "projects": list(
            Project.objects.visible_to(user)
            .filter(Q(name__icontains=text) | Q(code__icontains=text))
            .select_related("client", "manager")[:SEARCH_LIMIT]
        ),
        "too_short": False,
    }
