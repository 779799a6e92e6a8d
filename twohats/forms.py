"""Bootstrap 5 rendering for every form, and the optimistic-version field."""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.renderers import BaseRenderer, TemplatesSetting
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from twohats.lib.records import TIME_ZONE_CHOICES


class BootstrapRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class FastSelectMixin:
    """Render a select's options by string formatting rather than one template per option.

    Django renders every <option> through its own template, about 0.1 ms each; a list of a few
    hundred people then costs tens of milliseconds a page. The markup is the same."""

    allow_multiple_selected: bool
    choices: Any

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)  # type: ignore[attr-defined]
        final["name"] = name
        if self.allow_multiple_selected:
            final["multiple"] = True
        chosen = set(self.format_value(value))  # type: ignore[attr-defined]
        parts: list[str] = [format_html("<select{}>", flatatt(final))]
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', option_value))
                parts.extend(self._option(v, text, chosen) for v, text in label)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(option_value, label, chosen))
        parts.append("</select>")
        return mark_safe("".join(parts))  # every part was escaped above

    @staticmethod
    def _option(value: Any, label: Any, chosen: set[str]) -> str:
        text = "" if value is None else str(value)
        selected = " selected" if text in chosen else ""
        # The standard library's escape: Django's result, without its lazy-text wrapping.
        return f'<option value="{escape(text)}"{selected}>{escape(str(label))}</option>'


class FastSelect(FastSelectMixin, forms.Select):
    pass


class FastSelectMultiple(FastSelectMixin, forms.SelectMultiple):
    pass


def style(field: forms.Field) -> None:
    """Bootstrap's class on a field's widget (and the fast select for choice lists)."""
    if type(field.widget) in (forms.Select, forms.SelectMultiple):
        fast = FastSelect if type(field.widget) is forms.Select else FastSelectMultiple
        field.widget = fast(attrs=field.widget.attrs, choices=field.widget.choices)
    widget = field.widget
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class BootstrapMixin:
    """Give widgets Bootstrap's classes and mark invalid fields for styles and screen readers."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            style(field)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


def limit_choices(form: forms.BaseForm, name: str, queryset: QuerySet[Any]) -> None:
    """Restrict a model choice field to what the user may pick."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


class TimeZoneField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Times are shown and entered in this zone.")
        super().__init__(choices=TIME_ZONE_CHOICES, **kwargs)


class Form(BootstrapMixin, forms.Form):
    pass


class FilterForm(BootstrapMixin, forms.Form):
    """The compact form above a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            css = css.replace("form-control", "form-control form-control-sm")
            field.widget.attrs["class"] = css.replace("form-select", "form-select form-select-sm")


class ModelForm(BootstrapMixin, forms.ModelForm):
    pass


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class VersionedModelForm(ModelForm):
    """Carries the version the editor read; the service refuses a save from a stale copy."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version"].initial = self.instance.version

    @property
    def expected_version(self) -> int | None:
        value = self.cleaned_data.get("version")
        return int(value) if value is not None else None

    def model_fields(self) -> dict[str, Any]:
        """Cleaned values of the model's own (non-M2M) fields, for a service call."""
        names = [
            f.name
            for f in self._meta.model._meta.get_fields()
            if getattr(f, "concrete", False) and not f.many_to_many and f.name != "version"
        ]
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}
