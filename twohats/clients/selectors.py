from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, Count, Max, Prefetch, Q, When
from django.utils import timezone

from twohats.clients.models import Client, Contact
from twohats.growth.models import Opportunity
from twohats.interactions.models import Channel, Interaction
from twohats.interactions.selectors import timeline_page
from twohats.people.models import NAME_FIELDS, User
from twohats.projects.models import Project, ProjectStatus

# The client page shows the most powerful current stakeholders; the rest are a click away.
KEY_STAKEHOLDERS = 15
RECENTLY_LEFT_DAYS = 180


def client_page(client: Client) -> dict[str, Any]:
    """Everything the client page shows, in a number of queries that does not grow with the
    number of projects, contacts or interactions."""
    projects = list(
        Project.objects.filter(client=client)
        .select_related("manager")
        .prefetch_related(Prefetch("team", queryset=User.objects.only(*NAME_FIELDS)))
        .annotate(
            finished=Case(
                When(status__in=[ProjectStatus.COMPLETED, ProjectStatus.CANCELLED], then=1),
                default=0,
            )
        )
        .order_by("archived_at", "finished", "-start_date", "id")
    )
    everyone = Contact.objects.filter(client=client)
    key_people = list(
        everyone.active()
        .filter(left_on__isnull=True)
        .select_related("reports_to")
        .annotate(is_primary=Case(When(pk=client.primary_contact_id, then=1), default=0))
        .order_by("-is_primary", "-power", "-interest", "last_name", "id")[:KEY_STAKEHOLDERS]
    )
    recently_left = list(
        everyone.filter(left_on__gte=timezone.localdate() - dt.timedelta(days=RECENTLY_LEFT_DAYS))
        .select_related("reports_to")
        .order_by("-left_on", "id")[:5]
    )
    counts = everyone.aggregate(
        total=Count("id"),
        current=Count("id", filter=Q(archived_at__isnull=True, left_on__isnull=True)),
        left=Count("id", filter=Q(left_on__isnull=False)),
    )
    opportunities = list(
        Opportunity.objects.filter(client=client)
        .open()
        .select_related("identified_by")
        .order_by("expected_close", "id")
    )
    stats = Interaction.objects.filter(client=client).aggregate(
        total=Count("id"),
        last=Max("occurred_at"),
        last_face_to_face=Max("occurred_at", filter=Q(channel=Channel.IN_PERSON)),
    )
    return {
        "projects": projects,
        "contacts": key_people,
        "contact_counts": counts,
        "recently_left": recently_left,
        "opportunities": opportunities,
        "stats": stats,
        "timeline": timeline_page(Interaction.objects.filter(client=client)),
    }


def contact_page(contact: Contact) -> dict[str, Any]:
    return {
        "reports": list(contact.reports.order_by("last_name", "id")),
        "timeline": timeline_page(Interaction.objects.filter(contacts=contact)),
    }
