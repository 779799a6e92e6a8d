from __future__ import annotations

from typing import Any

from django import forms

from twohats.forms import DateInput, VersionedModelForm, limit_choices
from twohats.people.models import Role, User
from twohats.projects.models import Project


class ProjectForm(VersionedModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "code",
            "manager",
            "team",
            "status",
            "contract_type",
            "budget",
            "start_date",
            "end_date",
            "reporting_period",
            "pm_hours_per_week",
            "description",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "team": forms.SelectMultiple(attrs={"size": 6}),
        }
        help_texts = {
            "team": "Staff on the project besides its manager.",
            "budget": "The budget at completion (BAC): the first baseline.",
            "reporting_period": "How often status reports are due; each covers one period.",
            "pm_hours_per_week": "The PM's expected weekly hours: workload and staffing.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(is_active=True).exclude(role=Role.EXECUTIVE)
        limit_choices(self, "manager", staff.filter(role__in=[Role.PM, Role.DIRECTOR]))
        limit_choices(self, "team", staff)
        # Left empty, the load stays as it was (10 hours a week on a new project).
        self.fields["pm_hours_per_week"].required = False
        if self.instance.pk is not None:
            # The baseline owns the budget: it changes only through a re-baseline, with a reason.
            budget = self.fields["budget"]
            budget.disabled = True
            budget.help_text = (
                "Set by the baseline in force: re-baseline to change the budget "
                "(from the project page's delivery section)."
            )

    def clean_pm_hours_per_week(self) -> Any:
        value = self.cleaned_data.get("pm_hours_per_week")
        return self.instance.pm_hours_per_week if value is None else value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        manager, team = data.get("manager"), data.get("team")
        if manager is not None and team is not None:
            data["team"] = [member for member in team if member != manager]
        return data
