"""Abstract building blocks shared by the domain models (no tables of their own)."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

# Offered in forms; the model fields validate against the same database of zones (tzdata),
# without copying the list into every migration.
TIME_ZONE_CHOICES = [(name, name) for name in sorted(available_timezones()) if "/" in name] + [
    ("UTC", "UTC")
]


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/Paris).")


class TimeStamped(models.Model):
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Versioned(models.Model):
    """Optimistic concurrency: a form carries the version it read; a stale save is refused."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class Archivable(models.Model):
    """Archived records stay (history, references) but leave the default lists."""

    archived_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None
