"""The small forms of an alert's actions. The services check what needs the alert itself
(a snooze in the future, an alert still live); the forms check the shape of the input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from twohats.forms import DateTimeInput, Form

QUICK_SNOOZES = {"1": ("1 day", dt.timedelta(days=1)), "7": ("1 week", dt.timedelta(days=7))}


class AcknowledgeForm(Form):
    pass


class SnoozeForm(Form):
    """Snooze for a quick choice (the button pressed) or until a chosen date and time."""

    days = forms.ChoiceField(
        choices=[(key, label) for key, (label, _) in QUICK_SNOOZES.items()],
        required=False,
        widget=forms.HiddenInput,
    )
    until = forms.DateTimeField(
        label="Snooze until",
        required=False,
        widget=DateTimeInput,
        help_text="In your time zone; at most 90 days ahead.",
    )

    def __init__(self, *args: Any, now: dt.datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        days = data.get("days")
        if days:
            data["until"] = self.now + QUICK_SNOOZES[days][1]
        elif not data.get("until") and "until" not in self.errors:
            self.add_error("until", "Choose when the snooze ends.")
        return data


class ResolveForm(Form):
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=300,
        help_text="Optional: what was done.",
    )


class DismissForm(Form):
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        error_messages={"required": "Say why the alert does not apply."},
        help_text="Required: why the alert does not apply.",
    )
