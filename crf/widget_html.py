"""A form field's widget as HTML without the template engine, for pages with hundreds of
them (the daily flowsheet: 7 days × 45 items). The context is Django's own
(`Widget.get_context`: value formatting, selected options), so only the markup is written
here; a widget this does not know is rendered the usual way. tests/crf/test_widget_html.py
compares both renderings, as a browser would submit them, for every item of the daily form;
tests/crf/test_grid_cells.py compares the flowsheet's unbound days byte for byte.
"""

from __future__ import annotations

import datetime
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


def _known(widget: forms.Widget) -> tuple[bool, bool]:
    """(plain input, single select): the widgets whose markup is written here."""
    plain_input = isinstance(widget, Input) and not isinstance(widget, forms.FileInput)
    single_select = isinstance(widget, forms.Select) and not widget.allow_multiple_selected
    return plain_input, single_select


def _markup(
    widget: forms.Widget,
    name: str,
    value: Any,
    attrs: dict[str, Any],
    options: dict[tuple[Any, ...], str | None] | None = None,
) -> SafeString:
    """`widget.render(name, value, attrs)` (Django's default form renderer), faster for
    plain inputs and single selects without option groups. `options`, when given, keeps
    each select's options by (name, value) for the caller's widgets: a select's options
    depend on its choices and value only (Select.option_inherits_attrs is False)."""
    plain_input, single_select = _known(widget)
    if not (plain_input or single_select):
        return widget.render(name, value, attrs)
    if single_select and options is not None:
        key = (name, type(value), str(value))
        if key not in options:
            optgroups = widget.get_context(name, value, attrs)["widget"]["optgroups"]
            grouped = any(group is not None for group, _options, _index in optgroups)
            options[key] = None if grouped else _options(optgroups)
        if options[key] is None:
            return widget.render(name, value, attrs)
        return mark_safe(  # noqa: S308 (every value escaped)
            f'<select name="{escape(name)}"{_attrs(widget.build_attrs(widget.attrs, attrs))}>'
            f"{options[key]}</select>"
        )
    context = widget.get_context(name, value, attrs)["widget"]
    if single_select:
        if any(group is not None for group, _options, _index in context["optgroups"]):
            return widget.render(name, value, attrs)
        return mark_safe(  # noqa: S308 (every value escaped above)
            f'<select name="{escape(context["name"])}"{_attrs(context["attrs"])}>'
            f"{_options(context['optgroups'])}</select>"
        )
    shown_value = context["value"]
    shown = f' value="{escape(str(shown_value))}"' if shown_value is not None else ""
    return mark_safe(  # noqa: S308 (every value escaped above)
        f'<input type="{escape(context["type"])}" name="{escape(context["name"])}"{shown}'
        f"{_attrs(context['attrs'])}>"
    )


def widget_html(bound: forms.BoundField) -> SafeString:
    """`bound.as_widget()`, faster, for plain inputs and single selects."""
    widget = bound.field.widget
    plain_input, single_select = _known(widget)
    if not (plain_input or single_select) or bound.field.localize:
        return bound.as_widget()
    attrs = bound.build_widget_attrs({}, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    return _markup(widget, bound.html_name, bound.value(), attrs)


def unbound_html(
    form: forms.BaseForm,
    name: str,
    initial: dict[str, Any],
    auto_id: str,
    extra: dict[str, Any],
    options: dict[tuple[Any, ...], str | None] | None = None,
) -> SafeString:
    """What `form[name].as_widget()` renders for an unbound form of the same class whose
    `initial` is `initial`, whose `auto_id` is `auto_id` and whose widget attrs were
    updated with `extra`, without building that form: `form` (unbound, no prefix, no
    errors) only lends its fields, which are read, never changed. The attrs are built in
    BoundField.build_widget_attrs's order; tests/crf/test_grid_cells.py compares both.
    `options`: a dict the caller keeps while `form`'s fields stay the same (see _markup)."""
    field = form.fields[name]
    widget = field.widget
    value = initial.get(name, field.initial)
    if callable(value):
        value = value()
    if isinstance(value, (datetime.datetime, datetime.time)) and not widget.supports_microseconds:
        value = value.replace(microsecond=0)
    attrs: dict[str, Any] = {}
    if widget.use_required_attribute(value) and field.required and form.use_required_attribute:
        attrs["required"] = True
    if field.disabled:
        attrs["disabled"] = True
    element_id = auto_id % name if "%s" in auto_id else (name if auto_id else "")
    described = extra.get("aria-describedby") or widget.attrs.get("aria-describedby")
    visible = element_id and not widget.is_hidden
    if not described and not widget.use_fieldset and visible and field.help_text:
        attrs["aria-describedby"] = f"{element_id}_helptext"
    if element_id and "id" not in widget.attrs and "id" not in extra:
        attrs.setdefault("id", element_id)
    prepared = field.prepare_value(value)
    return _markup(widget, name, prepared, {**widget.attrs, **extra, **attrs}, options)
