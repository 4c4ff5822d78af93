"""What a CRF form page adds to its fields (issue #11, ADR 0034): the skip logic the
browser applies (static/js/skip.js), the required markers, and the links of the
"required items missing" message."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from audit.labels import field_label
from crf.definitions import CrfDefinition
from crf.facts import ParticipantFacts
from crf.rules.common import Finding, Severity
from crf.rules.conditions import as_json, referenced
from crf.services.core import blank_value, values_of
from platinium.lib.study_time import paris_date


def skip_logic(definition: CrfDefinition, form: Any, target: Any) -> dict[str, Any]:
    """The declaration as JSON data, and the values of the items it reads that are not
    inputs of the page (the row's key: a follow-up's visit)."""
    show_when = definition.rules.show_when if definition.rules else {}
    constants = {
        name: getattr(target, name, None)
        for name in referenced(show_when)
        if name not in form.fields
    }
    return {"show_when": as_json(show_when), "constants": constants}


def stub_facts() -> ParticipantFacts:
    now = timezone.now()
    today = paris_date(now)
    return ParticipantFacts(randomized_at=now, d0=today, now=now, today=today)


def required_items(definition: CrfDefinition, target: Any) -> set[str]:
    """Items the form's rules report missing when empty, given the values the page opens
    with (a conditional item counts once its condition holds). Only the MISSING findings
    matter: participant facts are a stand-in, cross-row context is left out."""
    rules = definition.rules
    if rules is None:
        return set()
    values = values_of(target)
    fields = {f.name: f for f in definition.model._meta.concrete_fields}
    for name in rules.skipped(values):
        if name in fields:
            values[name] = blank_value(fields[name])
    empty = dict(values)
    for name, field in fields.items():
        if name != definition.fixed and name in values and not field.primary_key:
            empty[name] = blank_value(field)
    found: list[Finding] = []
    for candidate in (empty, values):
        try:
            found += rules.check(candidate, stub_facts(), None)
        except (TypeError, ValueError, KeyError, AttributeError):
            continue
    return {f.field for f in found if f.severity == Severity.MISSING}


def mark_required(form: Any, names: set[str]) -> None:
    """A visible "*" and aria-required on the items the protocol requires (the form itself
    still accepts them empty: the row is then saved as in progress)."""
    for name in names:
        field = form.fields.get(name)
        if field is None or field.required:  # crispy already marks a required input
            continue
        field.widget.attrs["aria-required"] = "true"
        field.label = format_html(
            '{} <span class="required-marker" aria-hidden="true">*</span>'
            '<span class="visually-hidden"> ({})</span>',
            field.label,
            gettext("required"),
        )


def field_anchor(model: type[Any], name: str) -> str:
    """The id of the input of an item on the form page (the first box of a list)."""
    field = next((f for f in model._meta.concrete_fields if f.name == name), None)
    suffix = "_0" if isinstance(field, ArrayField) and field.base_field.choices else ""
    return f"id_{name}{suffix}"


def missing_message(model: type[Any], missing: list[Finding], edit_url: str) -> str:
    """'Saved as in progress: N required item(s) missing: A, B.' with each item a link to
    its input on the form page."""
    names = list(dict.fromkeys(f.field for f in missing if f.field != "__all__"))
    links = format_html_join(
        ", ",
        '<a href="{}#{}">{}</a>',
        ((edit_url, field_anchor(model, n), field_label(model, n)) for n in names),
    )
    text = conditional_escape(
        gettext("Saved as in progress: %(count)d required item(s) missing: %(items)s.")
    )
    # The sentence is escaped and every link built by format_html: the whole is safe.
    return mark_safe(text % {"count": len(names), "items": links})  # noqa: S308
