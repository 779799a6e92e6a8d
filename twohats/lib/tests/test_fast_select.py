from __future__ import annotations

import re

import pytest
from django import forms

from twohats.forms import FastSelect, FastSelectMultiple

CHOICES = [("", "Any"), ("a", "Ada & <Bob>"), ("b", "Béatrice"), ("Group", [("c", "Cé")])]


def options(html: str) -> list[tuple[str, bool, str]]:
    found = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)
    return [(value, bool(selected), label) for value, selected, label in found]


@pytest.mark.parametrize(
    "fast,slow,value",
    [
        (FastSelect, forms.Select, "b"),
        (FastSelectMultiple, forms.SelectMultiple, ["a", "c"]),
    ],
)
def test_it_renders_the_same_options_as_djangos_widget(
    fast: type[forms.Widget], slow: type[forms.Widget], value: object
) -> None:
    attrs = {"id": "id_who", "class": "form-select", "aria-describedby": "id_who_helptext"}
    mine = fast(choices=CHOICES).render("who", value, attrs)
    django = slow(choices=CHOICES).render("who", value, attrs)
    assert options(mine) == options(django)
    assert "&lt;Bob&gt;" in mine  # labels are escaped
    for attribute in ('id="id_who"', 'class="form-select"', 'name="who"'):
        assert attribute in mine
    assert ("multiple" in mine) is (fast is FastSelectMultiple)
    assert '<optgroup label="Group">' in mine
