"""How a saved form value is shown to a reader (form detail page, casebook PDF)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext

# Bookkeeping columns a reader of a saved form is not shown.
NOT_SHOWN = frozenset(
    {
        "id",
        "participant",
        "version",
        "updated_by",
        "created_by",
        "entered_in_error_by",
        "updated_at",
        "created_at",
    }
)


def shown_fields(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in NOT_SHOWN]


def display_value(instance: Any, field: models.Field) -> Any:
    """The choice label, Yes/No for a boolean, "—" for nothing entered, else the value."""
    if field.choices:
        return getattr(instance, f"get_{field.name}_display")()
    value = getattr(instance, field.name)
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    if value is None or value == "":
        return "—"
    return value
