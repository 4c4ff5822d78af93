"""Writes to a participant row: status and eligibility flag, and the one lock check.

Every service that writes a participant's clinical data asks `ensure_writable()` first, so
that the rule "a locked casebook is read-only" lives in one place (form, casebook and
database locks plug their state in here).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

from audit.context import change_reason
from audit.services import record
from audit.versioning import save_versioned
from participants.models import Participant
from platinium.lib.compiled import PLACEHOLDER, CompiledQuery, compile_query

if TYPE_CHECKING:
    from accounts.types import User


class ParticipantLocked(Exception):
    """A lock in force (database, casebook or form) refuses the write; the message says
    which, in the user's language (participants.locks.lock_message)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or str(_("This participant is locked: the forms are read-only.")))


def ensure_writable(participant: Participant, form: models.Model | None = None) -> None:
    """Raise ParticipantLocked when the participant's data (or `form`) may not be changed
    now: the database, the casebook or the form is locked (participants/locks.py).

    The one lock check of every clinical write; pass the row as read under
    `select_for_update()` so that a casebook lock taken meanwhile is seen.
    """
    from participants import locks

    lock = locks.lock_refusing(participant, form)
    if lock is not None:
        raise ParticipantLocked(locks.lock_message(lock))


def locked_row_query() -> models.QuerySet[Participant]:
    """The participant row FOR UPDATE; the site comes along (audit events name it) but is
    not locked."""
    return Participant.objects.select_for_update(of=("self",)).select_related("site")


@functools.cache
def _locked_row() -> CompiledQuery:
    # Compiled once per process (every clinical save asks it: ADR 0045).
    return compile_query(locked_row_query().filter(pk=PLACEHOLDER))


def lock_for_write(participant: Participant | int, form: models.Model | None = None) -> Participant:
    """The participant row locked FOR UPDATE (writes of one participant queue), if writable."""
    pk = participant if isinstance(participant, int) else participant.pk
    if connection.get_autocommit():  # as the ORM: a lock outside a transaction is none
        raise transaction.TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    found = _locked_row().instances(pk)
    if not found:
        raise Participant.DoesNotExist(f"Participant matching pk={pk} does not exist.")
    fresh: Participant = found[0]
    ensure_writable(fresh, form)
    return fresh


def _save(participant: Participant, *, by: User, reason: str) -> None:
    with change_reason(reason):
        save_versioned(participant, expected_version=participant.version, by=by)


@transaction.atomic
def change_participant_status(
    participant: Participant, *, status: str, by: User, reason: str
) -> Participant:
    """Set the participant's status (randomized, died, end of study): versioned, audited.

    `reason` says what caused the change (the form's reason for change, or the event);
    it is kept on the history row and the audit event. No change, no write.
    """
    fresh = lock_for_write(participant)
    if status not in Participant.Status.values:
        raise ValueError(f"unknown participant status {status!r}")
    if fresh.status == status:
        return fresh
    before = fresh.status
    fresh.status = status
    _save(fresh, by=by, reason=reason)
    record(
        "participants.status_changed",
        target=fresh,
        by=by,
        data={"from": before, "to": status},
        reason=reason,
    )
    participant.status, participant.version = fresh.status, fresh.version
    return fresh


@transaction.atomic
def flag_eligibility(participant: Participant, *, by: User, note: str, reason: str) -> Participant:
    """Flag the participant for review: after a correction the screening is not eligible."""
    fresh = lock_for_write(participant)
    fresh.eligibility_flag = True
    fresh.eligibility_flag_reason = note
    _save(fresh, by=by, reason=reason)
    participant.eligibility_flag, participant.version = True, fresh.version
    return fresh
