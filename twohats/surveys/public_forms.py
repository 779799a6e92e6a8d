"""The public survey form: one field per question of the invitation's template version."""

from __future__ import annotations

from typing import Any

from django import forms

from twohats.surveys.models import Question
from twohats.surveys.services import MAX_TEXT, firm_text

# A few more fields than questions are tolerated (the CSRF token); beyond that the post is not
# from our form.
SPARE_FIELDS = 5


class SurveyForm(forms.Form):
    def __init__(self, questions: list[Question], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            label = firm_text(question.text)
            field: forms.Field
            if question.is_scale:
                assert question.scale_min is not None and question.scale_max is not None
                choices = [
                    (str(n), str(n)) for n in range(question.scale_min, question.scale_max + 1)
                ]
                field = forms.TypedChoiceField(
                    label=label,
                    choices=choices,
                    coerce=int,
                    required=question.required,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Please answer this question."},
                )
            else:
                field = forms.CharField(
                    label=label,
                    required=question.required,
                    max_length=MAX_TEXT,
                    widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_TEXT}),
                    error_messages={
                        "required": "Please answer this question.",
                        "max_length": "Please keep this under %(limit_value)d characters "
                        "(it has %(show_value)d).",
                    },
                )
            self.fields[f"q{question.pk}"] = field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.data and len(self.data) > len(self.questions) + SPARE_FIELDS:
            raise forms.ValidationError("This form was sent with too many fields.")
        return cleaned

    def answers(self) -> dict[int, int | str | None]:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}") for q in self.questions}

    def rows(self) -> list[tuple[Question, forms.BoundField]]:
        return [(q, self[f"q{q.pk}"]) for q in self.questions]
