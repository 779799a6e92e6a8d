"""Entry forms of the delivery hat: status reports and their revisions, milestones and their
completion, change requests and their decisions, re-baselining. The services check the rules
across rows (one report per period, EV within BAC, a decision's decider); the forms check what
one form can see and say it next to the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import Q
from django.template.defaultfilters import floatformat
from django.utils import timezone

from twohats.clients.models import Contact
from twohats.forms import DateInput, DateTimeInput, Form, VersionedModelForm, limit_choices
from twohats.projects.models import (
    ChangeRequest,
    Decision,
    EvSource,
    Milestone,
    Project,
    Rag,
    ReportingPeriod,
    StatusReport,
)
from twohats.projects.services import period_end_of, report_periods

NOT_NEGATIVE = {"min_value": "This cannot be negative."}
MOMENT_HELP = "In your time zone; now, if left empty."


def money(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        min_value=Decimal(0),
        max_digits=14,
        decimal_places=2,
        error_messages=NOT_NEGATIVE,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        **kwargs,
    )


def percent(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "1", "min": "0", "max": "100"}),
        **kwargs,
    )


def text(label: str, rows: int = 2, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": 5000}),
        max_length=5000,
        **kwargs,
    )


def now_in_minutes() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def _not_future(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value > timezone.now():
        raise forms.ValidationError("This time is in the future: record what has happened.")
    return value


class VersionField(forms.IntegerField):
    def __init__(self) -> None:
        super().__init__(widget=forms.HiddenInput, required=False)


# ---------------------------------------------------------------------------------------------
# Status reports


REPORT_NUMBERS = (
    "ev_source",
    "earned_value",
    "actual_cost",
    "planned_value",
    "percent_complete",
    "rag",
    "narrative",
    "risks",
    "next_steps",
)


class ReportNumbersForm(Form):
    ev_source = forms.ChoiceField(
        label="Earned value (EV) is",
        choices=EvSource.choices,
        initial=EvSource.ENTERED,
        widget=forms.RadioSelect,
    )
    earned_value = money(
        label="Earned value (EV), cumulative",
        required=False,
        help_text="The budgeted value of the work done so far. Left aside when derived from "
        "milestones.",
    )
    actual_cost = money(label="Actual cost (AC), cumulative")
    planned_value = money(
        label="Planned value (PV), cumulative",
        required=False,
        help_text="Leave empty to take the baseline's plan at the period end.",
    )
    percent_complete = percent(label="Percent complete (your estimate)")
    rag = forms.ChoiceField(label="RAG status", choices=[("", "Choose…"), *Rag.choices])
    narrative = text("Narrative", rows=3, required=False)
    risks = text("Risks", required=False)
    next_steps = text("Next steps", required=False)

    def __init__(self, *args: Any, milestone_earned: Decimal | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if milestone_earned is not None:
            self.fields["ev_source"].help_text = (
                "From milestones: the value of the milestones completed by the period end, "
                "plus the recorded share of those in progress "
                f"({floatformat(milestone_earned, '2g')} today)."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        entered = data.get("ev_source") == EvSource.ENTERED
        if entered and data.get("earned_value") is None and "earned_value" not in self.errors:
            self.add_error("earned_value", "Enter the earned value, or derive it from milestones.")
        if data.get("ev_source") == EvSource.MILESTONES:
            data["earned_value"] = None
        return data

    def numbers(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in REPORT_NUMBERS}


class StatusReportForm(ReportNumbersForm):
    period_end = forms.TypedChoiceField(label="Period ending", coerce=dt.date.fromisoformat)
    field_order = ["period_end"]

    def __init__(
        self,
        *args: Any,
        project: Project,
        reported: set[dt.date],
        today: dt.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Periods up to the one that holds today, latest first, without those reported already.
        open_periods = [d for d in report_periods(project, until=today) if d not in reported]
        open_periods.reverse()
        field = self.fields["period_end"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(d.isoformat(), f"{d:%a %-d %b %Y}") for d in open_periods]
        unit = "week" if project.reporting_period == ReportingPeriod.WEEKLY else "month"
        field.help_text = (
            f"Reports are {project.get_reporting_period_display().lower()}: one per {unit}. "
            "To correct a report, revise it from the history."
        )
        if today < project.start_date:
            field.help_text = (
                f"The project starts on {project.start_date:%-d %b %Y}: its first report is "
                "for its first period."
            )
        elif not open_periods:
            field.help_text = "Every period so far has its report: revise one from the history."
        past = [d for d in open_periods if d <= today]
        current = period_end_of(project, today)
        self.initial.setdefault("period_end", (past[0] if past else current).isoformat())


class RevisionForm(ReportNumbersForm):
    revision_reason = text(
        "Why the correction",
        help_text="Kept with the revision; the corrected report stays in the history.",
    )

    def __init__(self, *args: Any, report: StatusReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ReportNumbersForm.base_fields:
            self.initial.setdefault(name, getattr(report, name))
        self.fields[
            "planned_value"
        ].help_text = "Leave empty to take the plan of the baseline the report was measured with."


# ---------------------------------------------------------------------------------------------
# Milestones


class MilestoneForm(VersionedModelForm):
    class Meta:
        model = Milestone
        fields = ["name", "planned_date", "forecast_date", "planned_value", "percent_complete"]
        widgets = {"planned_date": DateInput(), "forecast_date": DateInput()}
        help_texts = {
            "forecast_date": "When you now expect it, if not on the planned date.",
            "planned_value": "Its share of the budget: EV from milestones sums these.",
        }

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        self.project = project

    def clean_forecast_date(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("forecast_date")
        if value is not None and value < self.project.start_date:
            raise forms.ValidationError(
                f"The forecast is before the project starts ({self.project.start_date})."
            )
        return value


class MilestoneCompleteForm(Form):
    actual_date = forms.DateField(label="Completed on", widget=DateInput())
    accepted_by = forms.ModelChoiceField(
        label="Accepted by",
        queryset=Contact.objects.none(),
        required=False,
        empty_label="Not accepted yet",
        help_text="The client's contact who signed it off.",
    )
    accepted_at = forms.DateTimeField(
        label="Accepted at", widget=DateTimeInput(), required=False, help_text=MOMENT_HELP
    )
    version = VersionField()

    def __init__(self, *args: Any, milestone: Milestone, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client_id = milestone.project.client_id
        current = Q(archived_at__isnull=True, left_on__isnull=True)
        if milestone.accepted_by_id is not None:
            current |= Q(pk=milestone.accepted_by_id)
        contacts = Contact.objects.filter(current, client_id=client_id).only(
            "id", "first_name", "last_name"
        )
        limit_choices(self, "accepted_by", contacts)
        self.initial.setdefault("actual_date", milestone.actual_date or timezone.localdate())
        self.initial.setdefault("accepted_by", milestone.accepted_by_id)
        if milestone.accepted_at:
            self.initial.setdefault("accepted_at", timezone.localtime(milestone.accepted_at))
        self.initial.setdefault("version", milestone.version)

    def clean_accepted_at(self) -> dt.datetime | None:
        return _not_future(self.cleaned_data.get("accepted_at"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("accepted_at") and not data.get("accepted_by"):
            self.add_error("accepted_by", "Say who accepted it, or leave the time empty.")
        if data.get("accepted_by") and not data.get("accepted_at"):
            data["accepted_at"] = timezone.now()
        return data


# ---------------------------------------------------------------------------------------------
# Change requests


class ChangeRequestForm(VersionedModelForm):
    class Meta:
        model = ChangeRequest
        fields = ["asked_by", "asked_at", "description", "effort_hours", "value"]
        labels = {"asked_by": "Asked by", "asked_at": "Asked at", "effort_hours": "Effort (hours)"}
        widgets = {
            "asked_at": DateTimeInput(),
            "description": forms.Textarea(attrs={"rows": 3, "maxlength": 5000}),
        }

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.project = project
        current = Q(archived_at__isnull=True, left_on__isnull=True)
        if self.instance.asked_by_id is not None:
            current |= Q(pk=self.instance.asked_by_id)
        contacts = Contact.objects.filter(current, client_id=project.client_id).only(
            "id", "first_name", "last_name"
        )
        limit_choices(self, "asked_by", contacts)
        self.fields["asked_at"].help_text = "In your time zone."
        if self.instance.pk is None:
            self.initial.setdefault("asked_at", now_in_minutes())

    def clean_asked_at(self) -> dt.datetime | None:
        return _not_future(self.cleaned_data.get("asked_at"))


class DecisionForm(Form):
    decision = forms.ChoiceField(
        choices=[(v, label) for v, label in Decision.choices if v != Decision.PENDING],
        widget=forms.RadioSelect,
        help_text="Absorbed changes are scope given away: they count against independence.",
    )
    reason = text("Reason", help_text="Kept in the change ledger.")
    decided_at = forms.DateTimeField(
        label="Decided at", widget=DateTimeInput(), required=False, help_text=MOMENT_HELP
    )
    version = VersionField()

    def __init__(self, *args: Any, change: ChangeRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.change = change
        self.initial.setdefault("decided_at", now_in_minutes())
        self.initial.setdefault("version", change.version)

    def clean_decided_at(self) -> dt.datetime:
        value = _not_future(self.cleaned_data.get("decided_at")) or timezone.now()
        if value < self.change.asked_at:
            raise forms.ValidationError("The decision cannot come before the request.")
        return value


# ---------------------------------------------------------------------------------------------
# Re-baselining


class RebaselineForm(Form):
    budget = money(
        label="New budget at completion (BAC)",
        help_text="The project's budget follows the baseline.",
    )
    reason = text("Why re-baseline", help_text="Kept with the baseline; the indices name it.")
    plan = forms.CharField(
        label="Time-phased plan (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "e.g. 2026-01-31 20000"}),
        help_text="One line a period: its end date and the cumulative planned value, ending at "
        "the budget. Leave empty for a straight line over the project's dates.",
    )

    def __init__(self, *args: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("budget", project.budget)
        self.fields["plan"].help_text = (
            "One line a period: its end date and the cumulative planned value, ending at the "
            "budget. Leave empty for a straight line over the project's dates "
            f"({project.start_date:%-d %b %Y} to {project.end_date:%-d %b %Y}; to move them, "
            "edit the project first)."
        )

    def clean_budget(self) -> Decimal:
        value: Decimal = self.cleaned_data["budget"]
        if value <= 0:
            raise forms.ValidationError("A baseline needs a budget above zero.")
        return value

    def clean_plan(self) -> list[tuple[dt.date, Decimal]] | None:
        raw: str = self.cleaned_data.get("plan") or ""
        plan: list[tuple[dt.date, Decimal]] = []
        problems = []
        for number, line in enumerate(raw.splitlines(), start=1):
            parts = line.replace(",", " ").replace(";", " ").split()
            if not parts:
                continue
            try:
                if len(parts) != 2:
                    raise ValueError
                plan.append((dt.date.fromisoformat(parts[0]), Decimal(parts[1])))
            except (ValueError, InvalidOperation):
                problems.append(f"line {number} (“{line.strip()[:40]}”)")
        if problems:
            raise forms.ValidationError(
                "Write each line as a date and a value, e.g. 2026-01-31 20000: see "
                + ", ".join(problems)
                + "."
            )
        return plan or None
