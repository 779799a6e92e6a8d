from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from twohats.interactions.models import ClientRequest
from twohats.interactions.requests import request_create
from twohats.test import Cast

MakeRequest = Callable[..., ClientRequest]


@pytest.fixture
def make_request(cast: Cast) -> MakeRequest:
    """A request of the cast's client, logged and owned by its account lead, through the
    service (so its deadline is computed and its history written)."""

    def make(**fields: Any) -> ClientRequest:
        values: dict[str, Any] = {
            "client": cast.client,
            "project": cast.project,
            "raised_by": cast.contact,
            "channel": "written",
            "priority": "high",
            "subject": "Send the revised test plan",
            "raised_at": dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC),
            "owner": cast.owner,
        }
        actor = fields.pop("actor", cast.owner)
        return request_create(actor=actor, fields=values | fields)

    return make
