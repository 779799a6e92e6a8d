from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q

from twohats.clients.models import Client, Contact
from twohats.growth.models import Opportunity
from twohats.interactions.models import Channel, Interaction
from twohats.interactions.selectors import timeline_page
from twohats.projects.models import Project


def client_page(client: Client) -> dict[str, Any]:
    """Everything the client page shows, in a number of queries that does not grow with the
    number of projects, contacts or interactions."""
    projects = list(
        Project.objects.filter(client=client)
        .select_related("manager")
        .prefetch_related("team")
        .order_by("archived_at", "-start_date", "id")
    )
    contacts = list(
        Contact.objects.filter(client=client)
        .select_related("reports_to")
        .order_by("archived_at", "left_on", "-power", "-interest", "last_name", "id")
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
        "contacts": contacts,
        "opportunities": opportunities,
        "stats": stats,
        "timeline": timeline_page(Interaction.objects.filter(client=client)),
    }


def contact_page(contact: Contact) -> dict[str, Any]:
    return {
        "reports": list(contact.reports.order_by("last_name", "id")),
        "timeline": timeline_page(Interaction.objects.filter(contacts=contact)),
    }
