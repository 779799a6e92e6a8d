"""The access matrix at the model level: who sees and who edits each kind of record."""

from __future__ import annotations

import pytest

from twohats.clients.models import Client, Contact
from twohats.growth.models import Opportunity
from twohats.interactions.models import Interaction
from twohats.people.models import WorkdayLocation
from twohats.projects.models import Project
from twohats.test import Cast, ContactFactory, WorkdayLocationFactory

SEES = {
    "owner": True,
    "teammate": True,
    "outsider": False,
    "director": True,
    "other_director": False,
    "executive": True,
    "admin": True,
}


@pytest.mark.parametrize("who", SEES)
@pytest.mark.parametrize(
    "model,attr",
    [
        (Client, "client"),
        (Contact, "contact"),
        (Project, "project"),
        (Interaction, "interaction"),
        (Opportunity, "opportunity"),
    ],
)
def test_it_shows_records_only_to_those_who_may_see_them(
    cast: Cast, who: str, model: type, attr: str
) -> None:
    user = cast.everyone()[who]
    record = getattr(cast, attr)
    assert model.objects.visible_to(user).filter(pk=record.pk).exists() is SEES[who]


EDITS_CLIENT = SEES | {"teammate": False, "executive": False}


@pytest.mark.parametrize("who", EDITS_CLIENT)
@pytest.mark.parametrize(
    "model,attr",
    [(Client, "client"), (Contact, "contact"), (Project, "project"), (Opportunity, "opportunity")],
)
def test_it_lets_only_owners_directors_and_admins_edit(
    cast: Cast, who: str, model: type, attr: str
) -> None:
    user = cast.everyone()[who]
    record = getattr(cast, attr)
    assert model.objects.editable_by(user).filter(pk=record.pk).exists() is EDITS_CLIENT[who]


def test_it_lets_a_teammate_edit_only_the_interactions_they_logged(cast: Cast) -> None:
    from twohats.test import InteractionFactory

    own = InteractionFactory(client=cast.client, logged_by=cast.teammate)
    editable = Interaction.objects.editable_by(cast.teammate)
    assert list(editable) == [own]
    assert Interaction.objects.editable_by(cast.owner).filter(pk=own.pk).exists()
    assert not Interaction.objects.editable_by(cast.executive).exists()


def test_it_shows_workdays_to_the_person_and_their_director_only(cast: Cast) -> None:
    day = WorkdayLocationFactory(user=cast.teammate)
    seen_by = {
        who
        for who, user in cast.everyone().items()
        if WorkdayLocation.objects.visible_to(user).filter(pk=day.pk).exists()
    }
    assert seen_by == {"teammate", "director", "executive", "admin"}
    edited_by = {
        who
        for who, user in cast.everyone().items()
        if WorkdayLocation.objects.editable_by(user).filter(pk=day.pk).exists()
    }
    assert edited_by == {"teammate", "director", "admin"}


def test_it_counts_a_project_manager_elsewhere_as_able_to_see_the_client(cast: Cast) -> None:
    from twohats.test import ProjectFactory

    ProjectFactory(client=cast.other_client, manager=cast.teammate)
    assert Client.objects.visible_to(cast.teammate).filter(pk=cast.other_client.pk).exists()
    # Managing a project there lets them keep its contacts, not edit the account itself.
    assert not Client.objects.editable_by(cast.teammate).filter(pk=cast.other_client.pk).exists()
    assert Client.objects.workable_by(cast.teammate).filter(pk=cast.other_client.pk).exists()
    contact = ContactFactory(client=cast.other_client)
    assert Contact.objects.editable_by(cast.teammate).filter(pk=contact.pk).exists()
