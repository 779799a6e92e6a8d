from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone

from twohats.clients.models import Client
from twohats.forms import DateInput, Form, ModelForm, TimeZoneField, limit_choices
from twohats.people.models import User, WorkdayLocation


class ProfileForm(ModelForm):
    time_zone = TimeZoneField()

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "title", "time_zone", "alert_digest"]


class ApiTokenForm(Form):
    name = forms.CharField(
        max_length=80, help_text="What uses it, e.g. “weekly report script”.", label="Token name"
    )


class WorkdayRangeForm(Form):
    """Where someone worked on each day of a range (weekdays unless weekends are ticked)."""

    user = forms.ModelChoiceField(queryset=User.objects.none(), label="Who")
    start = forms.DateField(widget=DateInput(), label="First day")
    end = forms.DateField(widget=DateInput(), label="Last day")
    kind = forms.ChoiceField(choices=WorkdayLocation.Kind.choices, label="Where")
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), required=False, help_text="For a client-site day."
    )
    note = forms.CharField(max_length=200, required=False)
    include_weekends = forms.BooleanField(required=False, label="Include weekends")

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True)
        if actor.is_admin:
            limit_choices(self, "user", people)
        elif actor.is_director:
            limit_choices(self, "user", people.filter(Q(pk=actor.pk) | Q(practice__lead=actor)))
        else:
            limit_choices(self, "user", people.filter(pk=actor.pk))
        limit_choices(self, "client", Client.objects.visible_to(actor).active())
        today = timezone.localdate()
        self.initial.setdefault("user", actor.pk)
        self.initial.setdefault("start", today)
        self.initial.setdefault("end", today)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            self.add_error("end", "The last day must not be before the first day.")
        return data


class WorkdayForm(ModelForm):
    class Meta:
        model = WorkdayLocation
        fields = ["kind", "client", "note"]

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, "client", Client.objects.visible_to(actor))
