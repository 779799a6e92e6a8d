"""The forms of the profile pages: a questionnaire (IPIP-50 about oneself, Mini-IPIP about a
contact), working-style tags and perceived similarity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from twohats.matching.instruments import SCALE, Instrument
from twohats.matching.models import StyleTag

SCALE_CHOICES = [(str(value), label) for value, label in SCALE]
SIMILARITY_CHOICES = [
    ("1", "1 · not at all alike"),
    ("2", "2"),
    ("3", "3"),
    ("4", "4 · somewhat alike"),
    ("5", "5"),
    ("6", "6"),
    ("7", "7 · very alike"),
]


@dataclass(frozen=True)
class Row:
    """One statement of the questionnaire as the template draws it."""

    number: int
    text: str
    name: str
    chosen: str
    errors: list[str]


class QuestionnaireForm(forms.Form):
    """Every statement of `instrument`, each answered 1–5 (all required); with `consent`, the
    staff member's agreement to keep the profile."""

    scale = SCALE_CHOICES

    def __init__(self, *args: Any, instrument: Instrument, consent: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[self.name_of(item.number)] = forms.TypedChoiceField(
                label=f"{item.number}. {item.text}",
                choices=SCALE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose an answer to this statement."},
            )
        if consent:
            self.fields["consent"] = forms.BooleanField(
                label="I agree that my profile is kept and seen by me, my practice director and "
                "administrators.",
                error_messages={
                    "required": "Your profile is kept only with your consent: tick this box to "
                    "save it."
                },
            )

    @staticmethod
    def name_of(number: int) -> str:
        return f"item_{number}"

    def answers(self) -> dict[int, int]:
        return {
            item.number: self.cleaned_data[self.name_of(item.number)]
            for item in self.instrument.items
        }

    def rows(self) -> list[Row]:
        """The statements with the answer chosen so far (kept when the form comes back with
        errors), drawn by the template without one sub-template per radio button."""
        rows = []
        for item in self.instrument.items:
            name = self.name_of(item.number)
            chosen = self.data.get(self.add_prefix(name), "") if self.is_bound else ""
            errors = [str(error) for error in self.errors.get(name, [])]
            rows.append(Row(item.number, item.text, name, str(chosen), errors))
        return rows

    def unanswered(self) -> int:
        return sum(1 for item in self.instrument.items if self.name_of(item.number) in self.errors)


class StyleForm(forms.Form):
    tags = forms.MultipleChoiceField(
        label="Working style",
        choices=StyleTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional: tick what fits; none is fine.",
    )


class SimilarityForm(forms.Form):
    value = forms.TypedChoiceField(
        label="How alike are you and this contact?",
        choices=SIMILARITY_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        help_text="Your own view, after working together: 1 not at all alike, 7 very alike.",
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label="Yes, erase the answers, the profiles and the working style for good.",
        error_messages={"required": "Tick the box to confirm the erasure."},
    )
