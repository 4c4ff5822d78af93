"""The participant casebook PDF: every CRF form with its values, SDV and signature status,
its query history and the field history, as the reader may see them
(docs/decisions/0020-casebook-pdf.md).

Blinding: built from CRF rows, verifications and history only, never from the allocation,
so the arm cannot appear; day-10 biology goes through `D10Biology.objects.visible_to`,
which hides it from blinded roles before database lock (crf/blinding.py), and so do its
queries (`DataQuery.objects.visible_to`).

Queries per casebook: one per form for its rows, one per form for their field history
(audit.history.histories_of), one for the participant's queries with their threads.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from audit.history import HistoryEntry, histories_of
from audit.services import record
from crf.definitions import FORMS
from crf.display import display_value, shown_fields
from crf.models import DataQuery, QueryMessage
from monitoring.sdv import NOT_VERIFIED, TO_REVERIFY, VERIFIED, rows_of
from monitoring.signing import signature_status_of, with_casebook_state
from participants.models import Participant
from platinium.lib.pdf import render_pdf

if TYPE_CHECKING:
    from accounts.types import User


# Bookkeeping columns: the form detail page does not show them either (crf/views.py).
@dataclass
class Value:
    label: str
    value: Any
    unit: str = ""


@dataclass
class QueryHistory:
    query: DataQuery
    field: str  # the field's label
    thread: list[QueryMessage]


@dataclass
class Row:
    title: str
    status: str
    sdv: str
    values: list[Value]
    history: list[HistoryEntry]
    queries: list[QueryHistory] = field(default_factory=list)
    short_title: str = ""  # the title without the participant code (a grid's column head)


# A section of more rows than this (the daily course, the injections) is printed as grids
# of fields × rows, ROWS_PER_GRID rows a grid: each label is laid out once a grid, not once
# a row, which is most of WeasyPrint's time on a long ICU stay (ADR 0036).
GRID_FROM_ROWS = 3
ROWS_PER_GRID = 7


@dataclass
class Line:
    """One field of a grid: its label and its value in each row of the grid."""

    label: str
    values: list[Value]


@dataclass
class Grid:
    rows: list[Row]
    lines: list[Line]
    sdv: list[str]  # each row's SDV state, or [] when no row has one


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)

    @property
    def grids(self) -> list[Grid]:
        """The rows as grids when the section is long, else [] (one table per row)."""
        if len(self.rows) < GRID_FROM_ROWS:
            return []
        grids = []
        for start in range(0, len(self.rows), ROWS_PER_GRID):
            rows = self.rows[start : start + ROWS_PER_GRID]
            # The rows of one form show the same fields in the same order (shown_fields).
            lines = [
                Line(first.label, [row.values[index] for row in rows])
                for index, first in enumerate(rows[0].values)
            ]
            sdv = [row.sdv for row in rows] if any(row.sdv for row in rows) else []
            grids.append(Grid(rows, lines, sdv))
        return grids


def _unit_of(name: str, concrete: set[str], instance: Any) -> str:
    """The unit entered beside a value (`<x>_value` + `<x>_unit`); fixed units are in
    the field's label already, as on the form."""
    if name.endswith("_value") and name[: -len("_value")] + "_unit" in concrete:
        return str(getattr(instance, name[: -len("_value")] + "_unit") or "")
    return ""


def _values(instance: Any) -> tuple[list[Value], dict[str, Any]]:
    """The rows shown, and the raw values they show (for the digest)."""
    fields = shown_fields(type(instance))
    concrete = {f.name for f in fields}
    shown, raw = [], {}
    for f in fields:
        raw[f.name] = getattr(instance, f.attname)
        value = display_value(instance, f)
        unit = _unit_of(f.name, concrete, instance) if value != "—" else ""
        shown.append(Value(str(f.verbose_name), value, unit))
    return shown, raw


def _sdv_labels() -> dict[str, str]:
    return {
        VERIFIED: gettext("verified"),
        TO_REVERIFY: gettext("to re-verify"),
        NOT_VERIFIED: gettext("not verified"),
    }


def data_digest(data: list[dict[str, Any]]) -> str:
    """SHA-256 of a canonical JSON (sorted keys, no spaces) of the values rendered."""
    canonical = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _field_label(model: Any, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except LookupError:  # FieldDoesNotExist: a field since removed keeps its name
        return name


def _queries_by_row(participant: Participant, user: User) -> dict[tuple[str, int], list[DataQuery]]:
    """The participant's queries the reader may see, with their threads, by form row."""
    queries = (
        DataQuery.objects.visible_to(user)
        .filter(participant=participant)
        .select_related("raised_by")
        .prefetch_related("messages__by")
        .order_by("raised_at", "id")
    )
    by_row: dict[tuple[str, int], list[DataQuery]] = {}
    for query in queries:
        by_row.setdefault((query.model_label, query.object_id), []).append(query)
    return by_row


def _query_digest(query: DataQuery, thread: list[QueryMessage]) -> dict[str, Any]:
    return {
        "id": query.pk,
        "field": query.field,
        "status": query.status,
        "messages": [[m.kind, m.at, m.text, m.corrected_value] for m in thread],
    }


def casebook_context(participant: Participant, *, user: User) -> dict[str, Any]:
    sdv = {(r.form.label, r.obj.pk): r.state for r in rows_of(participant)}
    sdv_labels = _sdv_labels()
    queries = _queries_by_row(participant, user)
    sections: list[Section] = []
    hashed: list[dict[str, Any]] = []
    for definition in FORMS:
        # visible_to: the reader's sites; for day-10 biology, the blinding rule too.
        model = definition.model
        rows = list(
            model.objects.visible_to(user)
            .filter(participant=participant)
            .select_related("participant")  # its title names the participant
            .order_by("pk")
        )
        # The field history of the form's rows in one query, not one per row.
        histories = histories_of(model, [instance.pk for instance in rows]) if rows else {}
        section = Section(str(definition.title))
        label = model._meta.label_lower
        for instance in rows:
            values, raw = _values(instance)
            state = sdv.get((label, instance.pk))
            row_queries = [
                QueryHistory(query, _field_label(model, query.field), list(query.messages.all()))
                for query in queries.get((label, instance.pk), [])
            ]
            section.rows.append(
                Row(
                    title=str(instance),
                    status=instance.get_status_display(),
                    sdv=sdv_labels[state] if state else "",
                    values=values,
                    history=histories.get(instance.pk, []),
                    queries=row_queries,
                    short_title=str(instance).removeprefix(f"{participant.code} · "),
                )
            )
            hashed.append(
                {
                    "form": label,
                    "pk": instance.pk,
                    "values": raw,
                    "queries": [_query_digest(q.query, q.thread) for q in row_queries],
                }
            )
        sections.append(section)
    annotated = with_casebook_state(Participant.objects.filter(pk=participant.pk)).get()
    return {
        "participant": participant,
        "sections": sections,
        "signature": signature_status_of(annotated),
        "generated_at": timezone.localtime(),
        "generated_by": user.get_username(),
        "grid_columns": range(ROWS_PER_GRID),  # a fixed column count: every grid alike
        "digest": data_digest([{"participant": participant.code, "rows": hashed}]),
    }


@dataclass(frozen=True)
class CasebookPdf:
    content: bytes
    digest: str
    filename: str


def download_casebook_pdf(participant: Participant, *, by: User) -> CasebookPdf:
    """Render the casebook of one participant for `by` and audit the download."""
    context = casebook_context(participant, user=by)
    content = render_pdf("pdf/casebook.html", context)
    with transaction.atomic():
        record(
            "casebook_pdf_downloaded",
            target=participant,
            by=by,
            data={"sha256": context["digest"]},
        )
    return CasebookPdf(content, context["digest"], f"casebook_{participant.code}.pdf")
