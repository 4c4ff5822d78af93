"""Field-level history of tracked objects, read from their pghistory event tables.

One query per model whatever the number of objects (`histories_of`), or a stream of the
changes of many objects (`changes_of`): old → new per field is computed here from
consecutive snapshots of the same object, so callers never query row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from pghistory.models import Event

# Columns that are bookkeeping, not data a reviewer needs to see changing.
HIDDEN_FIELDS = frozenset({"version", "updated_at"})
# The event columns `changes_of` reads besides the snapshot.
EVENT_COLUMNS = ("pgh_id", "pgh_obj_id", "pgh_created_at", "pgh_label", "pgh_context")
_ENCODER = DjangoJSONEncoder()


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
    event_id: int = 0


def hidden_fields_of(model: type[models.Model]) -> frozenset[str]:
    return HIDDEN_FIELDS | frozenset(getattr(model, "AUDIT_HIDDEN_FIELDS", ()))


def event_model_of(model: type[models.Model]) -> type[Event]:
    """The pghistory event model that snapshots `model` (one `@pghistory.track()` each)."""
    for candidate in apps.get_models():
        if issubclass(candidate, Event) and getattr(candidate, "pgh_tracked_model", None) is model:
            return candidate
    raise LookupError(f"{model._meta.label} is not tracked by pghistory")


def tracked_columns(model: type[models.Model]) -> list[str]:
    """Column names of the snapshot (as pghistory's JSON names them), hidden ones left out."""
    hidden = hidden_fields_of(model)
    return [
        f.attname
        for f in event_model_of(model)._meta.concrete_fields
        if not f.name.startswith("pgh_") and f.name not in hidden and f.attname not in hidden
    ]


def _json(value: Any) -> Any:
    """The value as the event's JSON snapshot holds it (dates as ISO text)."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return _ENCODER.default(value)


def events_of(model: type[models.Model], **filters: Any) -> models.QuerySet:
    """Snapshots of `model`'s objects (filters on the event table), one object after the
    other, oldest first: what `changes_of` reads."""
    columns = tracked_columns(model)
    return (
        event_model_of(model)
        .objects.filter(**filters)
        .order_by("pgh_obj_id", "pgh_created_at", "pgh_id")
        .values("pgh_id", "pgh_obj_id", "pgh_created_at", "pgh_label", "pgh_context", *columns)
    )


def changes_of(
    model: type[models.Model], events: Iterable[dict[str, Any]]
) -> Iterator[tuple[Any, HistoryEntry]]:
    """(object id, entry) for each event of `events_of(model)`: an insert lists every
    column, a later event the columns that differ from the object's previous snapshot."""
    columns = [c for c in tracked_columns(model) if c != "id"]
    previous: dict[str, Any] | None = None
    previous_obj: Any = None
    for event in events:
        snapshot = {c: _json(event[c]) for c in columns}
        if event["pgh_obj_id"] != previous_obj or previous is None:
            previous = None
        if previous is None or event["pgh_label"] == "insert":
            changes = [FieldChange(c, None, snapshot[c]) for c in columns]
        else:
            changes = [
                FieldChange(c, previous[c], snapshot[c])
                for c in columns
                if previous[c] != snapshot[c]
            ]
        previous, previous_obj = snapshot, event["pgh_obj_id"]
        context = event["pgh_context"] or {}
        yield (
            event["pgh_obj_id"],
            HistoryEntry(
                at=event["pgh_created_at"],
                label=event["pgh_label"],
                username=context.get("username", ""),
                reason=context.get("reason", ""),
                request_id=context.get("request_id", ""),
                changes=changes,
                event_id=event["pgh_id"],
            ),
        )


def histories_of(model: type[models.Model], pks: Iterable[Any]) -> dict[Any, list[HistoryEntry]]:
    """Every object's history, oldest first, in one query for all of them."""
    out: dict[Any, list[HistoryEntry]] = {}
    for pk, entry in changes_of(model, events_of(model, pgh_obj_id__in=list(pks))):
        out.setdefault(pk, []).append(entry)
    return out


def object_history(obj: models.Model) -> list[HistoryEntry]:
    """Every insert/update/delete of `obj`, oldest first, with old → new per field."""
    return histories_of(type(obj), [obj.pk]).get(obj.pk, [])
