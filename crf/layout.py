"""How a CRF form sits on the screen (issue #11, ADR 0037): its fields flow in a compact
grid (static/css/crf.css `.crf-fields`), a value typed with a unit has its unit choice
right beside it (crf-spec.md §2 "Units accepted": value as entered plus its unit), and long
answers (free text, ticked lists) take a whole row. Fields keep their crispy wrappers
(`div_id_<name>`), labels and errors; only their arrangement changes."""

from __future__ import annotations

from crispy_forms.layout import Div, Field, Layout
from django import forms

VALUE_SUFFIX = "_value"
UNIT_SUFFIX = "_unit"
WIDE_WIDGETS = (forms.Textarea, forms.CheckboxSelectMultiple)


def unit_of(form: forms.BaseForm, name: str) -> str:
    """The unit field typed with `name` ("pao2_value" → "pao2_unit"), or ""."""
    if not name.endswith(VALUE_SUFFIX):
        return ""
    unit = name.removesuffix(VALUE_SUFFIX) + UNIT_SUFFIX
    return unit if unit in form.fields else ""


def compact_layout(form: forms.BaseForm) -> Layout:
    """Every field of `form`, in its order, arranged as above."""
    paired = {unit for name in form.fields if (unit := unit_of(form, name))}
    items: list[Field | Div] = []
    for name, field in form.fields.items():
        if name in paired:
            continue  # drawn beside its value
        if unit := unit_of(form, name):
            items.append(
                Div(
                    Field(name, wrapper_class="crf-value"),
                    Field(unit, wrapper_class="crf-unit"),
                    css_class="crf-measure",
                )
            )
        elif isinstance(field.widget, WIDE_WIDGETS):
            items.append(Div(Field(name), css_class="crf-wide"))
        else:
            items.append(Field(name))
    return Layout(Div(*items, css_class="crf-fields"))
