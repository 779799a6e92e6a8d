from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.interactions.models import Interaction
from twohats.people.models import User
from twohats.writes import record_create, record_update


def _check_contacts(client_id: int, contacts: Iterable[Contact]) -> list[Contact]:
    contacts = list(contacts)
    strangers = [c.name for c in contacts if c.client_id != client_id]
    if strangers:
        raise ValidationError({"contacts": f"Not contacts of this client: {', '.join(strangers)}."})
    return contacts


def interaction_create(
    *,
    actor: User,
    fields: Mapping[str, Any],
    contacts: Iterable[Contact] = (),
    staff: Iterable[User] = (),
) -> Interaction:
    fields = {"logged_by": actor, **fields}
    client = fields["client"]
    return record_create(
        Interaction,
        actor=actor,
        fields=fields,
        m2m={"contacts": _check_contacts(client.pk, contacts), "staff": list(staff)},
    )


def interaction_update(
    *,
    actor: User,
    interaction: Interaction,
    fields: Mapping[str, Any],
    contacts: Iterable[Contact] | None = None,
    staff: Iterable[User] | None = None,
    expected_version: int | None = None,
) -> Interaction:
    m2m: dict[str, Iterable[Any]] = {}
    if contacts is not None:
        client_id = fields["client"].pk if "client" in fields else interaction.client_id
        m2m["contacts"] = _check_contacts(client_id, contacts)
    if staff is not None:
        m2m["staff"] = list(staff)
    return record_update(
        interaction, actor=actor, fields=fields, m2m=m2m, expected_version=expected_version
    )


def interaction_set_next_step_done(
    *, actor: User, interaction: Interaction, done: bool
) -> Interaction:
    if not interaction.next_step:
        raise ValidationError({"next_step": "This interaction has no next step to mark."})
    with set_actor(actor), transaction.atomic():
        current = Interaction.objects.select_for_update().get(pk=interaction.pk)
        current.next_step_done_at = (current.next_step_done_at or timezone.now()) if done else None
        current.version += 1
        current.save(update_fields=["next_step_done_at", "version", "updated_at"])
        return current
