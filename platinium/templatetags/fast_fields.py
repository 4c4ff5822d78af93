"""`{{ field|as_field }}`: crispy-forms' `as_crispy_field` (bootstrap5), byte for byte, in Python.

A long form (the screening form: 63 labelled fields and 180 grid cells) spent about a third
of its time in the Django template engine running crispy's field.html once per field
(issue #13). For the plain cases (an input or a select with its label, help text and errors)
this filter writes the same HTML directly; every other case (hidden, checkbox, radio,
multiple checkboxes, file, multi-widget, fieldset, a form with a crispy helper) is handed to
crispy itself. tests/eligibility/test_fast_fields.py compares both renderings field by field.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms, template
from django.conf import settings
from django.forms.boundfield import BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_CRISPY_CASES = (forms.CheckboxInput, forms.RadioSelect, forms.FileInput)


def is_plain(field: BoundField) -> bool:
    """The cases written here; crispy renders the others."""
    widget = field.field.widget
    return not (
        field.is_hidden
        or isinstance(widget, _CRISPY_CASES)
        or hasattr(widget, "widgets")
        or hasattr(widget, "widget")
        or field.use_fieldset
        or getattr(field.form, "helper", None) is not None
    )


def _widget(field: BoundField, css: str) -> str:
    """crispy's `{% crispy_field field 'class' css %}`: the same class merge, then the widget."""
    widget = field.field.widget
    converters = getattr(settings, "CRISPY_CLASS_CONVERTERS", {})
    class_name = widget.__class__.__name__.lower()
    class_name = converters.get(class_name, class_name)
    current = widget.attrs.get("class", "")
    if current:
        if current.find(class_name) == -1:
            current += f" {class_name}"
    else:
        current = class_name
    for token in css.split():
        if token not in current.split():
            current += " " + token
    widget.attrs["class"] = current
    return str(field)


def _errors_and_help(field: BoundField, auto_id: str) -> str:
    """crispy's layout/help_text_and_errors.html (help and errors as blocks)."""
    errors = ""
    if field.errors:
        items = "".join(
            f'\n        <p id="error_{n}_{auto_id}"><strong>{conditional_escape(str(error))}'
            "</strong></p>\n    "
            for n, error in enumerate(field.errors, start=1)
        )
        field_id = conditional_escape(getattr(field.errors, "field_id", ""))
        errors = (
            f'\n    <div id="{field_id}_error" class="invalid-feedback">\n    {items}\n    </div>\n'
        )
    help_text = ""
    if field.help_text:
        id_attr = f'id="{auto_id}_helptext" ' if auto_id else ""
        help_text = (
            f'\n    \n        <div {id_attr}class="form-text">{field.help_text}</div>\n    \n'
        )
    return f"\n\n\n    {errors}\n\n\n\n\n    {help_text}\n\n\n"


def render_plain(field: BoundField) -> str:
    auto_id = conditional_escape(field.auto_id)
    required = field.field.required
    css_classes = field.css_classes()
    wrapper = f"mb-3 {conditional_escape(css_classes)}" if css_classes else "mb-3"
    label = ""
    if field.label:
        for_attr = f'for="{conditional_escape(field.id_for_label)}"' if field.id_for_label else ""
        star = '<span class="asteriskField">*</span>' if required else ""
        label = (
            "\n            \n            <label\n                "
            f'{for_attr} class="form-label{" requiredField" if required else ""}">\n'
            f"                {conditional_escape(field.label)}{star}"
            "\n            </label>\n        "
        )
    invalid = " is-invalid" if field.errors else ""
    if isinstance(field.field.widget, forms.Select):
        widget = (
            "\n                        \n                            "
            f"{_widget(field, 'form-select' + invalid)}"
            "\n                        \n                    "
        )
    else:
        widget = (
            f"\n                        {_widget(field, 'form-control' + invalid)}"
            "\n                    "
        )
    body = (
        "\n            \n                \n                    "
        f"{widget}\n                    \n                        "
        f"{_errors_and_help(field, auto_id)}\n                    \n                \n            "
    )
    return (
        f'\n\n\n    \n    <div id="div_{auto_id}" class="{wrapper}">'
        f"\n        {label}\n\n        \n\n"
        f"        {body}\n        \n        \n    </div>\n    \n\n"
    )


@register.filter(name="as_field")
def as_field(field: Any) -> SafeString:
    """Same output as `field|as_crispy_field` (bootstrap5 pack, default arguments)."""
    if isinstance(field, BoundField) and is_plain(field):
        return mark_safe(render_plain(field))  # noqa: S308 - every value above is escaped
    return as_crispy_field(field)
