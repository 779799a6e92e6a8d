"""The health policy as a form: every weight and threshold a field, validated as a whole."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from pydantic import ValidationError as SchemaError

from twohats.forms import Form, style
from twohats.health.models import describe_schema_error
from twohats.health.policy import PolicyConfig, parse

SEP = "__"


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}{SEP}{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = value


def _label(name: str) -> str:
    """'dimensions__presence__signals__interactions_30d__good' → 'presence · interactions 30d ·
    good': the path below its group, in words."""
    parts = [p for p in name.split(SEP)[1:] if p != "signals"]
    return " · ".join(part.replace("_", " ") for part in parts)


class PolicyForm(Form):
    """One field per number of the policy; the field names are the paths into its JSON."""

    note = forms.CharField(
        max_length=300, help_text="Why this change: it is kept with the new version."
    )

    def __init__(self, *args: Any, policy: PolicyConfig, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        values: dict[str, Any] = {}
        _flatten("", policy.model_dump(mode="json"), values)
        self.groups: dict[str, list[str]] = {}
        for name, value in values.items():
            group = name.split(SEP)[0]
            if name == f"calendar{SEP}holidays":
                field: forms.Field = forms.CharField(
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                    help_text="One date a line, YYYY-MM-DD.",
                )
                value = "\n".join(value)
            elif name == f"calendar{SEP}working_days":
                field = forms.MultipleChoiceField(
                    choices=[
                        (str(n), day)
                        for n, day in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
                    ],
                    widget=forms.CheckboxSelectMultiple,
                )
                value = [str(day) for day in value]
            elif name.startswith(f"calendar{SEP}day_"):
                field = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
            elif isinstance(value, bool):
                continue
            elif isinstance(value, int):
                field = forms.IntegerField()
            else:
                field = forms.FloatField()
            field.label = _label(name)
            field.initial = value
            self.fields[name] = field
            self.groups.setdefault(group, []).append(name)
            style(field)

    def config(self) -> dict[str, Any]:
        """The cleaned values put back into the policy's JSON shape."""
        tree: dict[str, Any] = {}
        for name, value in self.cleaned_data.items():
            if name == "note":
                continue
            if name == f"calendar{SEP}holidays":
                value = [line.strip() for line in str(value).splitlines() if line.strip()]
            elif name == f"calendar{SEP}working_days":
                value = [int(day) for day in value]
            elif isinstance(value, dt.time):
                value = value.strftime("%H:%M")
            node = tree
            *path, leaf = name.split(SEP)
            for part in path:
                node = node.setdefault(part, {})
            node[leaf] = value
        return tree

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                self.parsed = parse(self.config())
            except SchemaError as error:
                for message in describe_schema_error(error):
                    self.add_error(None, message)
        return data
