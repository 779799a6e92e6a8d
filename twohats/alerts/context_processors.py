"""The count beside "Alerts" in the navigation: the user's own live alerts."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.http import HttpRequest

from twohats.alerts.models import LIVE, Alert
from twohats.people.models import User


def alerts(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return {}

    # Counted only when a template shows it (not for partials), and at most once a request.
    @cache
    def count() -> int:
        return Alert.objects.filter(owner=user, status__in=LIVE).count()

    badge: Callable[[], int] = count
    return {"my_live_alerts": badge}
