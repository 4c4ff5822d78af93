"""Names and values as people read them: a form's name instead of its model label, a
field's label instead of its column, "Oui"/"Non" instead of True/False (issue #11: no raw
names in the French UI). Used by the audit trail, the query pages and the lock lists."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

EMPTY = "—"
# pghistory's operation labels.
OPERATIONS = {"insert": _("created"), "update": _("changed"), "delete": _("deleted")}


def model_of(model_label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(model_label)
    except (LookupError, ValueError):
        return None


def form_name(model_label: str) -> str:
    """`crf.baseline` → "Inclusion" (the model's verbose name, capitalised)."""
    model = model_of(model_label)
    return capfirst(str(model._meta.verbose_name)) if model is not None else model_label


def field_of(model: type[models.Model] | None, name: str) -> models.Field | None:
    """The field named `name` or whose column attribute is `name` (`site_id` → site)."""
    if model is None:
        return None
    try:
        return model._meta.get_field(name)  # type: ignore[return-value]
    except FieldDoesNotExist:
        pass
    return next((f for f in model._meta.concrete_fields if f.attname == name), None)


def field_label(model: type[models.Model] | None, name: str) -> str:
    field = field_of(model, name)
    label = getattr(field, "verbose_name", None)
    return capfirst(str(label)) if label else name


def display_value(model: type[models.Model] | None, name: str, value: Any) -> str:
    """A stored value as the forms show it: choices by their label, booleans Oui/Non."""
    if value is None or value == "":
        return EMPTY
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    field = field_of(model, name)
    choices = dict(getattr(field, "flatchoices", None) or ())
    if value in choices:
        return str(choices[value])
    return str(value)


def operation_label(label: str) -> str:
    return str(OPERATIONS.get(label, label))


def readable(model: type[models.Model], entry: Any) -> dict[str, Any]:
    """A history entry (audit.history.HistoryEntry) as the audit page shows it."""
    return {
        "at": entry.at,
        "username": entry.username,
        "reason": entry.reason,
        "operation": operation_label(entry.label),
        "created": entry.label == "insert",
        "changes": [
            {
                "label": field_label(model, c.field),
                "old": display_value(model, c.field, c.old),
                "new": display_value(model, c.field, c.new),
            }
            for c in entry.changes
        ],
    }
