"""A form field's widget as HTML without the template engine, for pages with hundreds of
them (the daily flowsheet: 7 days × 45 items). The context is Django's own
(`Widget.get_context`: value formatting, selected options), so only the markup is written
here; a widget this does not know is rendered the usual way. tests/crf/test_widget_html.py
compares both renderings, as a browser would submit them, for every item of the daily form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.widgets import Input
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def _attrs(attrs: dict[str, Any]) -> SafeString:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True names it.
    pairs = [(k, v) for k, v in attrs.items() if v is not False]
    return format_html_join(
        "",
        "{}",
        (
            (format_html(' {}="{}"', k, v) if v is not True else format_html(" {}", k),)
            for k, v in pairs
        ),
    )


def _options(optgroups: list) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (option["value"], _attrs(option["attrs"]), option["label"])
            for _name, options, _index in optgroups
            for option in options
        ),
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
        return format_html(
            '<select name="{}"{}>{}</select>',
            context["name"],
            _attrs(context["attrs"]),
            _options(context["optgroups"]),
        )
    value = format_html(' value="{}"', context["value"]) if context["value"] is not None else ""
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        context["type"],
        context["name"],
        value,
        _attrs(context["attrs"]),
    )
