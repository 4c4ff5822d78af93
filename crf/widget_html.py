"""A form field's widget as HTML without the template engine, for pages with hundreds of
them (the daily flowsheet: 7 days × 45 items). The context is Django's own
(`Widget.get_context`: value formatting, selected options), so only the markup is written
here; a widget this does not know is rendered the usual way. tests/crf/test_widget_html.py
compares both renderings, as a browser would submit them, for every item of the daily form.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.forms.widgets import Input
from django.utils.safestring import SafeString, mark_safe


def _attrs(attrs: dict[str, Any]) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True names it.
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _options(optgroups: list) -> str:
    return "".join(
        f'<option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
        f"{escape(str(option['label']))}</option>"
        for _name, options, _index in optgroups
        for option in options
    )


def widget_html(bound: forms.BoundField) -> SafeString:
    """`bound.as_widget()`, faster, for plain inputs and single selects."""
    widget = bound.field.widget
    plain_input = isinstance(widget, Input) and not isinstance(widget, forms.FileInput)
    single_select = isinstance(widget, forms.Select) and not widget.allow_multiple_selected
    if not (plain_input or single_select):
        return bound.as_widget()
    attrs = bound.build_widget_attrs({}, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    context = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    if single_select:
        if any(name is not None for name, _options, _index in context["optgroups"]):
            return bound.as_widget()
        return mark_safe(  # noqa: S308 (every value escaped above)
            f'<select name="{escape(context["name"])}"{_attrs(context["attrs"])}>'
            f"{_options(context['optgroups'])}</select>"
        )
    value = context["value"]
    shown = f' value="{escape(str(value))}"' if value is not None else ""
    return mark_safe(  # noqa: S308 (every value escaped above)
        f'<input type="{escape(context["type"])}" name="{escape(context["name"])}"{shown}'
        f"{_attrs(context['attrs'])}>"
    )
