from __future__ import annotations

from typing import Any

from django import forms

from twohats.clients.models import Client
from twohats.forms import DateInput, VersionedModelForm, limit_choices
from twohats.growth.models import Opportunity
from twohats.people.models import Role, User
from twohats.projects.models import Project


class OpportunityForm(VersionedModelForm):
    class Meta:
        model = Opportunity
        fields = [
            "title",
            "project",
            "identified_by",
            "identified_on",
            "value",
            "stage",
            "probability",
            "expected_close",
            "closed_on",
            "notes",
        ]
        widgets = {
            "identified_on": DateInput(),
            "expected_close": DateInput(),
            "closed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"closed_on": "For a won or lost opportunity: the day it closed."}

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.client = client
        limit_choices(self, "project", Project.objects.filter(client=client))
        staff = User.objects.filter(is_active=True).exclude(role=Role.EXECUTIVE)
        limit_choices(self, "identified_by", staff)
