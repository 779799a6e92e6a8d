"""The shared test cast and factories.

Every view and endpoint that takes an id is tested for its owner (the client's account lead and
the project's manager), a teammate (on the project's team, so they see the client) and an
outsider (a PM of another practice), plus the practice's director, an executive and an admin.
"""

from __future__ import annotations

import datetime as dt
import email
import socket
from dataclasses import dataclass
from decimal import Decimal
from email.message import Message
from typing import Any

import factory
from django.utils import timezone

from twohats.clients.models import Client, Contact
from twohats.growth.models import Opportunity
from twohats.interactions.models import Interaction
from twohats.people.models import Practice, Role, User, WorkdayLocation
from twohats.projects.models import Project, ProjectMember

PASSWORD = "correct horse battery staple"


class PracticeFactory(factory.django.DjangoModelFactory[Practice]):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@firm.example")
    role = Role.PM
    time_zone = "Europe/Paris"
    password = factory.django.Password(PASSWORD)


class ClientFactory(factory.django.DjangoModelFactory[Client]):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n:03d}")
    industry = "aerospace"
    tier = "key"
    status = "active"
    account_lead = factory.SubFactory(UserFactory)
    time_zone = "Europe/Paris"


class ContactFactory(factory.django.DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    first_name = factory.Sequence(lambda n: f"Ada{n}")
    last_name = factory.Sequence(lambda n: f"Contact{n:03d}")
    title = "Programme director"
    power = 4
    interest = 4
    stance = "supporter"


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Project {n:03d}")
    manager = factory.SelfAttribute("client.account_lead")
    budget = Decimal("250000.00")
    start_date = dt.date(2026, 1, 5)
    end_date = dt.date(2026, 12, 18)

    @factory.post_generation
    def members(obj: Project, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            ProjectMember.objects.bulk_create(
                ProjectMember(project=obj, user=user) for user in extracted
            )


class InteractionFactory(factory.django.DjangoModelFactory[Interaction]):
    class Meta:
        model = Interaction

    client = factory.SubFactory(ClientFactory)
    kind = "meeting"
    channel = "in_person"
    location = "client_site"
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    duration_minutes = 60
    role_implementer = True
    sentiment = 1
    summary = factory.Sequence(lambda n: f"Weekly progress review {n}")
    logged_by = factory.SelfAttribute("client.account_lead")


class OpportunityFactory(factory.django.DjangoModelFactory[Opportunity]):
    class Meta:
        model = Opportunity

    client = factory.SubFactory(ClientFactory)
    title = factory.Sequence(lambda n: f"Follow-on phase {n}")
    identified_by = factory.SelfAttribute("client.account_lead")
    identified_on = dt.date(2026, 3, 2)
    value = Decimal("120000.00")
    stage = "qualified"
    probability = 40
    expected_close = dt.date(2026, 12, 1)


class WorkdayLocationFactory(factory.django.DjangoModelFactory[WorkdayLocation]):
    class Meta:
        model = WorkdayLocation

    user = factory.SubFactory(UserFactory)
    date = dt.date(2026, 3, 2)
    kind = "home_office"


@dataclass
class Cast:
    """Who is who in an access test, and the records they do or do not own."""

    practice: Practice
    other_practice: Practice
    owner: User  # account lead of `client`, manager of `project`
    teammate: User  # on `project`'s team
    outsider: User  # a PM of another practice, lead of `other_client`
    director: User  # leads `practice`
    other_director: User  # leads `other_practice`
    executive: User
    admin: User
    client: Client
    contact: Contact
    project: Project
    interaction: Interaction
    opportunity: Opportunity
    other_client: Client

    def everyone(self) -> dict[str, User]:
        return {
            "owner": self.owner,
            "teammate": self.teammate,
            "outsider": self.outsider,
            "director": self.director,
            "other_director": self.other_director,
            "executive": self.executive,
            "admin": self.admin,
        }


def make_cast() -> Cast:
    director = UserFactory.create(username="director", role=Role.DIRECTOR)
    other_director = UserFactory.create(username="otherdirector", role=Role.DIRECTOR)
    practice = PracticeFactory.create(name="Aerospace delivery", lead=director)
    other_practice = PracticeFactory.create(name="Banking delivery", lead=other_director)
    owner = UserFactory.create(username="owner", practice=practice)
    teammate = UserFactory.create(username="teammate", practice=practice)
    outsider = UserFactory.create(username="outsider", practice=other_practice)
    executive = UserFactory.create(username="executive", role=Role.EXECUTIVE)
    admin = UserFactory.create(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client = ClientFactory.create(name="Aerolux", account_lead=owner)
    contact = ContactFactory.create(client=client, first_name="Marie", last_name="Curie")
    project = ProjectFactory.create(
        client=client, manager=owner, name="Cabin software", members=[teammate]
    )
    interaction = InteractionFactory.create(client=client, project=project, logged_by=owner)
    interaction.contacts.add(contact)
    opportunity = OpportunityFactory.create(client=client, identified_by=owner)
    other_client = ClientFactory.create(
        name="Banque Zed", account_lead=outsider, industry="banking"
    )
    return Cast(
        practice=practice,
        other_practice=other_practice,
        owner=owner,
        teammate=teammate,
        outsider=outsider,
        director=director,
        other_director=other_director,
        executive=executive,
        admin=admin,
        client=client,
        contact=contact,
        project=project,
        interaction=interaction,
        opportunity=opportunity,
        other_client=other_client,
    )


def count_queries(fn: Any) -> int:
    """How many SQL queries calling fn() runs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        fn()
    return len(context.captured_queries)


def read(response: Any) -> bytes:
    """The body of a response, streamed or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


class Inbox:
    """An aiosmtpd handler keeping what it receives (the `smtp_server` fixture's mailbox)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
