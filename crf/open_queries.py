"""Counts of unresolved queries (open, reopened or answered but not yet closed), for the
participant page, the casebook and the investigator's signature (a casebook with an
unresolved query may not be signed). Callers check access to the participant first.

The counts shown to people leave out day-10 biology queries: that the blinded result
tripped a check is itself a hint of the result (randomization.md §5). The signature check
counts them all."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Model, QuerySet

from crf.models import DataQuery


def shown_queries() -> Any:
    """Unresolved queries shown to the site (day-10 biology ones wait for the lock)."""
    return DataQuery.objects.unresolved().exclude(model_label=HIDDEN_UNTIL_LOCK)


HIDDEN_UNTIL_LOCK = "crf.d10biology"


def open_query_count(participant: Any) -> int:
    return shown_queries().filter(participant=participant).count()


def has_open_queries(participant: Any) -> bool:
    return DataQuery.objects.unresolved().filter(participant=participant).exists()


def open_queries_by_participant(participants: QuerySet[Any]) -> dict[int, int]:
    """participant id → number of unresolved queries, in one query (absent means 0)."""
    rows = (
        shown_queries()
        .filter(participant__in=participants.values("pk"))
        .values("participant_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["participant_id"]: row["n"] for row in rows}


def open_queries_by_field(obj: Any) -> dict[str, int]:
    """field name → number of unresolved queries on this form row."""
    rows = (
        DataQuery.objects.unresolved()
        .for_object(obj)
        .values("field")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["field"]: row["n"] for row in rows}


def open_queries_by_row(model: type[Model], participant: Any) -> dict[int, dict[str, int]]:
    """form row pk → field → number of unresolved queries, for every row of `model`."""
    rows = (
        DataQuery.objects.unresolved()
        .filter(participant=participant, model_label=model._meta.label_lower)
        .values("object_id", "field")
        .annotate(n=Count("id"))
        .order_by()
    )
    out: dict[int, dict[str, int]] = {}
    for row in rows:
        out.setdefault(row["object_id"], {})[row["field"]] = row["n"]
    return out
