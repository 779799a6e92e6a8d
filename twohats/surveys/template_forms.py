"""The form that edits a survey template: its name, language and introduction, and one row per
question (a formset, so that it works without JavaScript), with blank rows to add questions."""

from __future__ import annotations

from typing import Any

from django import forms

from twohats.forms import Form
from twohats.interactions.models import ROLES
from twohats.surveys.editing import MAX_QUESTIONS, QuestionEdit
from twohats.surveys.models import Construct, Question, SurveyTemplate

# The scales a new question may use; the service checks any other range the API sends.
SCALES: dict[str, tuple[int | None, int | None]] = {
    "0-10": (0, 10),
    "1-5": (1, 5),
    "1-7": (1, 7),
    "text": (None, None),
}
SCALE_CHOICES = [
    ("", "—"),
    ("0-10", "0 to 10"),
    ("1-5", "1 to 5"),
    ("1-7", "1 to 7"),
    ("text", "Free text"),
]
NEW_ROWS = 2


class TemplateForm(Form):
    name = forms.CharField(max_length=120)
    language = forms.CharField(max_length=8, help_text="A language code such as en, fr or pt-BR.")
    introduction = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown above the questions. [firm] becomes the firm's name.",
    )

    @staticmethod
    def initial_of(template: SurveyTemplate) -> dict[str, Any]:
        return {
            "name": template.name,
            "language": template.language,
            "introduction": template.introduction,
        }


class QuestionForm(Form):
    """One question. An existing one (with an id) keeps what it measures; a new one (a blank
    row filled in) says what it measures and on which scale."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    position = forms.IntegerField(min_value=1, max_value=999, required=False)
    text = forms.CharField(
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    required = forms.BooleanField(required=False)
    low_label = forms.CharField(required=False, max_length=60, label="Low end label")
    high_label = forms.CharField(required=False, max_length=60, label="High end label")
    remove = forms.BooleanField(required=False, label="Remove this question")
    construct = forms.ChoiceField(
        required=False, choices=[("", "—"), *Construct.choices], label="Measures"
    )
    scale = forms.ChoiceField(required=False, choices=SCALE_CHOICES)
    role = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *((name, label) for name, label, _ in ROLES)],
        label="Role (for a role question)",
    )
    reverse_keyed = forms.BooleanField(required=False, label="Reverse-keyed")

    @staticmethod
    def initial_of(question: Question) -> dict[str, Any]:
        return {
            "id": question.pk,
            "position": question.position,
            "text": question.text,
            "required": question.required,
            "low_label": question.low_label,
            "high_label": question.high_label,
        }

    @property
    def is_new(self) -> bool:
        return not self["id"].value()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("remove"):
            return data
        if data.get("id") is not None or data.get("text"):
            for name in ("position", "text"):
                if data.get(name) in (None, ""):
                    self.add_error(name, "Fill this in, or tick “Remove this question”.")
        if data.get("id") is None and data.get("text"):
            if not data.get("construct"):
                self.add_error("construct", "Say what the new question measures.")
            if not data.get("scale"):
                self.add_error("scale", "Choose a scale, or free text.")
        return data

    def edit(self) -> QuestionEdit | None:
        """The question as the service takes it; None for a removed question or a blank row."""
        data = self.cleaned_data
        if not data or data.get("remove") or (data.get("id") is None and not data.get("text")):
            return None
        edit = QuestionEdit(
            id=data["id"],
            position=data["position"],
            text=data["text"],
            required=data["required"],
            low_label=data["low_label"],
            high_label=data["high_label"],
        )
        if data["id"] is not None:
            return edit
        scale_min, scale_max = SCALES[data["scale"]]
        return QuestionEdit(
            **{
                **edit.__dict__,
                "construct": data["construct"],
                "scale_min": scale_min,
                "scale_max": scale_max,
                "free_text": data["scale"] == "text",
                "reverse_keyed": data["reverse_keyed"],
                "role": data["role"],
            }
        )


QuestionFormSet = forms.formset_factory(
    QuestionForm,
    extra=NEW_ROWS,
    max_num=MAX_QUESTIONS,
    absolute_max=MAX_QUESTIONS + NEW_ROWS,
    validate_max=True,
)


def question_formset(questions: list[Question], data: Any = None) -> Any:
    return QuestionFormSet(
        data, initial=[QuestionForm.initial_of(q) for q in questions], prefix="questions"
    )
