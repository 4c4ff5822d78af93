"""The query workflow (roles.md §2: raise, answer, close / cancel a query): one function
per action, each in one transaction with the participant's row lock, a version check on
the query, its thread entry and its audit event (docs/decisions/0013-data-queries.md).

System queries (edit checks) are opened and closed by the save path itself
(crf.services.core.sync_system_queries); people answer, close, reopen and cancel them here
like the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.access import capability_scope, has_capability
from accounts.roles import Capability as C
from audit.services import record
from audit.versioning import save_versioned
from crf.definitions import CRF_MODELS
from crf.models import (
    CrfRecord,
    CrfStatus,
    DataQuery,
    MessageKind,
    QueryMessage,
    QueryOrigin,
    QueryStatus,
)
from crf.models.queries import AWAITING_ANSWER, MAX_MESSAGE_LENGTH
from crf.services.core import BOOKKEEPING, data_fields
from participants.services import lock_for_write

if TYPE_CHECKING:
    from accounts.types import User

# `correct(row, field, value, reason, by)` saves the corrected field through the form's
# own save service (the one write path); the view passes it (crf.views knows the forms).
Corrector = Callable[[CrfRecord, str, Any, str, Any], Any]


class QueryRefused(Exception):
    """The action is not possible in the query's state: `message` says why (translated)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def form_model(model_label: str) -> type[CrfRecord] | None:
    """The CRF model of a label such as "crf.dailyfollowup" (a query anchors to one)."""
    return next((m for m in CRF_MODELS if m._meta.label_lower == model_label), None)


def queryable_fields(model: type[CrfRecord]) -> list[str]:
    return [f.name for f in data_fields(model) if f.name not in BOOKKEEPING]


def origin_of(user: User) -> str:
    """The raiser's role: data management (all sites) or the monitor (assigned sites)."""
    all_sites, _ids = capability_scope(user, C.RAISE_QUERY)
    return QueryOrigin.DATA_MANAGER if all_sites else QueryOrigin.MONITOR


def _text(value: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise QueryRefused(gettext("Write a message."))
    if len(value) > MAX_MESSAGE_LENGTH:
        raise QueryRefused(
            gettext("The message is too long: %(max)d characters at most.")
            % {"max": MAX_MESSAGE_LENGTH}
        )
    return value


def _require(user: User, capability: str, site_id: int) -> None:
    if not has_capability(user, capability, site_id):
        raise PermissionDenied


def _lock(query: DataQuery, expected_version: int | None) -> DataQuery:
    """The participant's row lock (casebook and database locks refuse here), then the
    query's own row, refused if it changed since the page was shown."""
    lock_for_write(query.participant_id)
    fresh = (
        DataQuery.objects.select_for_update().select_related("participant__site").get(pk=query.pk)
    )
    if expected_version is not None and fresh.version != expected_version:
        raise QueryRefused(
            gettext("The query changed since you opened it: review it and try again.")
        )
    return fresh


def _save(query: DataQuery, *, by: User, kind: str, text: str = "", corrected: str = "") -> None:
    save_versioned(query, expected_version=query.version, by=by)
    QueryMessage.objects.create(query=query, kind=kind, text=text, corrected_value=corrected, by=by)
    record(
        f"query.{kind}",
        target=query,
        by=by,
        reason=text,
        data={
            "form": query.model_label,
            "row": query.object_id,
            "field": query.field,
            "status": query.status,
            "origin": query.origin,
        },
    )


@transaction.atomic
def raise_query(row: CrfRecord, *, field: str, text: str, by: User) -> DataQuery:
    """A monitor (assigned sites) or data manager (all sites) asks about one field."""
    participant = row.participant
    _require(by, C.RAISE_QUERY, participant.site_id)
    if field not in queryable_fields(type(row)):
        raise QueryRefused(gettext("Choose a field of this form."))
    text = _text(text, required=True)
    lock_for_write(participant)
    fresh = type(row).objects.select_for_update().get(pk=row.pk)
    if fresh.status == CrfStatus.ENTERED_IN_ERROR:
        raise QueryRefused(gettext("This form was marked entered in error."))
    value = getattr(fresh, field, None)
    query = DataQuery(
        participant=participant,
        model_label=fresh._meta.label_lower,
        object_id=fresh.pk,
        day=getattr(fresh, "day_date", None),
        field=field,
        value_when_raised="" if value is None else str(value),
        origin=origin_of(by),
        text=text,
        raised_by=by,
    )
    save_versioned(query, expected_version=None, by=by)
    QueryMessage.objects.create(query=query, kind=MessageKind.RAISED, text=text, by=by)
    record(
        "query.raised",
        target=query,
        by=by,
        reason=text,
        data={"form": query.model_label, "row": query.object_id, "field": field},
    )
    return query


@transaction.atomic
def answer_query(
    query: DataQuery,
    *,
    text: str,
    by: User,
    expected_version: int | None = None,
    correction: tuple[Any, Corrector] | None = None,
) -> DataQuery:
    """The site answers; with `correction` (new value, corrector) the field is corrected in
    the same transaction through the form's save path, the answer as reason for change."""
    _require(by, C.ANSWER_QUERY, query.participant.site_id)
    text = _text(text, required=True)
    query = _lock(query, expected_version)
    if query.status not in AWAITING_ANSWER:
        raise QueryRefused(gettext("This query is not waiting for an answer."))
    corrected = ""
    if correction is not None:
        model = form_model(query.model_label)
        if model is None:
            raise QueryRefused(gettext("This form cannot be corrected here."))
        row = model.objects.get(pk=query.object_id)
        value, correct = correction
        corrected = "" if value is None else str(value)
    query.status = QueryStatus.ANSWERED
    _save(query, by=by, kind=MessageKind.ANSWERED, text=text, corrected=corrected)
    if correction is not None:
        # After the answer: a correction that clears an edit check closes the system
        # query in the thread, after the answer.
        correct(row, query.field, value, text, by)
        query.refresh_from_db()
    return query


def _may_close_unanswered(query: DataQuery, by: User) -> bool:
    """Only the raiser's role closes a query nobody answered (a data manager closes an
    edit check's)."""
    origin = origin_of(by)
    return origin == query.origin or (
        query.origin == QueryOrigin.SYSTEM and origin == QueryOrigin.DATA_MANAGER
    )


@transaction.atomic
def close_query(
    query: DataQuery, *, by: User, text: str = "", expected_version: int | None = None
) -> DataQuery:
    _require(by, C.CLOSE_QUERY, query.participant.site_id)
    text = _text(text, required=False)
    query = _lock(query, expected_version)
    if query.status in AWAITING_ANSWER:
        if not _may_close_unanswered(query, by):
            raise QueryRefused(
                gettext("Nobody answered this query: only the role that raised it may close it.")
            )
    elif query.status != QueryStatus.ANSWERED:
        raise QueryRefused(gettext("This query is already closed or cancelled."))
    query.status = QueryStatus.CLOSED
    query.closed_at = timezone.now()
    _save(query, by=by, kind=MessageKind.CLOSED, text=text)
    return query


@transaction.atomic
def reopen_query(
    query: DataQuery, *, by: User, text: str, expected_version: int | None = None
) -> DataQuery:
    _require(by, C.CLOSE_QUERY, query.participant.site_id)
    text = _text(text, required=True)
    query = _lock(query, expected_version)
    if query.status != QueryStatus.CLOSED:
        raise QueryRefused(gettext("Only a closed query can be reopened."))
    query.status = QueryStatus.REOPENED
    query.closed_at = None
    _save(query, by=by, kind=MessageKind.REOPENED, text=text)
    return query


@transaction.atomic
def cancel_query(
    query: DataQuery, *, by: User, reason: str, expected_version: int | None = None
) -> DataQuery:
    """Withdraw a query raised in error (a reason is required)."""
    _require(by, C.CLOSE_QUERY, query.participant.site_id)
    reason = (reason or "").strip()
    if not reason:
        raise QueryRefused(gettext("Give a reason to cancel the query."))
    reason = _text(reason, required=True)
    query = _lock(query, expected_version)
    if not query.is_unresolved:
        raise QueryRefused(gettext("This query is already closed or cancelled."))
    query.status = QueryStatus.CANCELLED
    query.closed_at = timezone.now()
    query.cancel_reason = reason
    _save(query, by=by, kind=MessageKind.CANCELLED, text=reason)
    return query
