"""Field-level history of one object, read from the pghistory event tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from pghistory.models import Events

# Columns that are bookkeeping, not data a reviewer needs to see changing.
HIDDEN_FIELDS = frozenset({"version", "updated_at"})


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    at: datetime
    label: str
    username: str
    reason: str
    request_id: str
    changes: list[FieldChange] = field(default_factory=list)


def hidden_fields_of(model: type[models.Model]) -> frozenset[str]:
    return HIDDEN_FIELDS | frozenset(getattr(model, "AUDIT_HIDDEN_FIELDS", ()))


def object_history(obj: models.Model) -> list[HistoryEntry]:
    """Every insert/update/delete of `obj`, oldest first, with old → new per field."""
    hidden = hidden_fields_of(type(obj))
    entries = []
    events = Events.objects.tracks(obj).order_by("pgh_created_at", "pgh_id")
    for event in events:
        context = event.pgh_context or {}
        diff = event.pgh_diff or {}
        if event.pgh_label == "insert":
            changes = [
                FieldChange(name, None, value)
                for name, value in (event.pgh_data or {}).items()
                if name not in hidden and name != "id"
            ]
        else:
            changes = [
                FieldChange(name, values[0], values[1])
                for name, values in diff.items()
                if name not in hidden
            ]
        entries.append(
            HistoryEntry(
                at=event.pgh_created_at,
                label=event.pgh_label,
                username=context.get("username", ""),
                reason=context.get("reason", ""),
                request_id=context.get("request_id", ""),
                changes=changes,
            )
        )
    return entries
