"""Form, casebook and database locks: reading them and the six lock actions (roles.md §2
matrix rows on locking, C3 unlock; docs/decisions/0012-locks.md).

The state is the ``Lock`` table; PostgreSQL refuses writes on locked data whatever path
they take (participants/lock_guard.py). The reads below exist so that the application can
say so in French before the database refuses. Re-authentication happens in the view,
before the service's transaction (accounts.reauth).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.roles import Capability
from audit.services import record
from participants.lock_guard import guard_specs
from participants.models import Lock, Participant
from platinium.lib.compiled import (
    PLACEHOLDER,
    SECOND_PLACEHOLDER,
    TEXT_PLACEHOLDER,
    CompiledQuery,
    compile_query,
)

if TYPE_CHECKING:
    from accounts.types import User

Level = Lock.Level
# Forms are CRF rows and screening records (not the participant row, not the allocation).
FORM_APPS = ("crf", "eligibility")


class LockRefused(ValidationError):
    """A lock action that cannot be done (already locked, not locked, no reason)."""


# ------------------------------------------------------------------------------ reads


def lock_message(lock: Lock) -> str:
    if lock.level == Level.DATABASE:
        return gettext("The database is locked: no clinical data can be changed.")
    if lock.level == Level.CASEBOOK:
        return gettext("This participant's casebook is locked: its forms are read-only.")
    return gettext("This form is locked: it is read-only.")


def current_database_lock() -> Lock | None:
    """THE database lock in force: day-10 visibility and the statistician's unblinding read
    this one record (crf/blinding.py, randomization/arm_access.py)."""
    return Lock.objects.current().filter(level=Level.DATABASE).first()


def database_locked() -> bool:
    return current_database_lock() is not None


def form_label(obj: models.Model) -> str:
    return obj._meta.label_lower


def refusing_locks(participant_id: Any, model_label: Any, object_id: Any) -> models.QuerySet[Lock]:
    """The locks in force that can refuse a write: the database's, the participant's
    casebook's, the form's."""
    return Lock.objects.current().filter(
        models.Q(level=Level.DATABASE)
        | models.Q(level=Level.CASEBOOK, participant_id=participant_id)
        | models.Q(level=Level.FORM, model_label=model_label, object_id=object_id)
    )


@functools.cache
def _refusing() -> CompiledQuery:
    # Every clinical save asks it: compiled once per process (ADR 0045).
    return compile_query(
        refusing_locks(PLACEHOLDER, TEXT_PLACEHOLDER, SECOND_PLACEHOLDER),
        expected=3,
        placeholders=(PLACEHOLDER, TEXT_PLACEHOLDER, SECOND_PLACEHOLDER),
    )


def lock_refusing(
    participant: Participant | int | None, form: models.Model | None = None
) -> Lock | None:
    """The lock in force that refuses a write on this participant (and form), if any:
    the database lock first, then the casebook, then the form."""
    pid = participant.pk if isinstance(participant, Participant) else participant
    label, form_id = (form_label(form), form.pk) if form is not None else (None, None)
    # None binds NULL: "= NULL" holds for no row (no casebook, no form asked).
    found = _refusing().instances(pid, label, form_id)
    order: dict[str, int] = {Level.DATABASE: 0, Level.CASEBOOK: 1, Level.FORM: 2}
    return min(found, key=lambda lock: order[lock.level]) if found else None


def current_for(participant: Participant) -> tuple[Lock | None, Lock | None]:
    """(database lock, casebook lock) in force for a participant, in one query."""
    found = list(
        Lock.objects.current().filter(
            models.Q(level=Level.DATABASE)
            | models.Q(level=Level.CASEBOOK, participant_id=participant.pk)
        )
    )
    database = next((lock for lock in found if lock.level == Level.DATABASE), None)
    casebook = next((lock for lock in found if lock.level == Level.CASEBOOK), None)
    return database, casebook


def casebook_lock(participant: Participant) -> Lock | None:
    return Lock.objects.current().filter(level=Level.CASEBOOK, participant=participant).first()


def form_lock(obj: models.Model) -> Lock | None:
    if obj.pk is None:
        return None
    return (
        Lock.objects.current()
        .filter(level=Level.FORM, model_label=form_label(obj), object_id=obj.pk)
        .first()
    )


def lockable_form_models() -> dict[str, type[models.Model]]:
    """Rows that are forms (a CRF row, a screening record): the guarded models that are
    their own form (a child row follows its parent form's lock)."""
    return {
        spec.form_label: spec.model
        for spec in guard_specs()
        if spec.form_label == spec.model._meta.label_lower
        and spec.model._meta.app_label in FORM_APPS
    }


def lockable_form(model_label: str) -> type[models.Model] | None:
    return lockable_form_models().get(model_label)


def participant_of(obj: models.Model) -> Participant | None:
    participant_id = getattr(obj, "participant_id", None)
    return Participant.objects.get(pk=participant_id) if participant_id else None


def site_id_of(obj: models.Model) -> int | None:
    participant = participant_of(obj)
    if participant is not None:
        return participant.site_id
    return getattr(obj, "site_id", None)


# ---------------------------------------------------------------------------- actions


def _require(by: User, capability: str, site_id: int | None = None) -> None:
    if not getattr(by, "pk", None) or not has_capability(by, capability, site_id):
        raise PermissionDenied


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise LockRefused(gettext("A reason is required to lock or unlock."))
    return reason


def _create(by: User, reason: str, **target: Any) -> Lock:
    try:
        with transaction.atomic():
            return Lock.objects.create(locked_by=by, reason=reason, **target)
    except IntegrityError:
        raise LockRefused(gettext("It is already locked.")) from None


def _lift(lock: Lock | None, *, by: User, reason: str) -> Lock:
    if lock is None:
        raise LockRefused(gettext("It is not locked."))
    lock = Lock.objects.select_for_update().get(pk=lock.pk)
    if lock.unlocked_at is not None:
        raise LockRefused(gettext("It is not locked."))
    lock.unlocked_at = timezone.now()
    lock.unlocked_by = by
    lock.unlock_reason = reason
    lock.save(update_fields=["unlocked_at", "unlocked_by", "unlock_reason"])
    return lock


@transaction.atomic
def lock_form(obj: models.Model, *, by: User, reason: str) -> Lock:
    """Lock one form row (a CRF row, a screening record): it becomes read-only."""
    label = form_label(obj)
    if lockable_form(label) is None:
        raise LockRefused(gettext("This record cannot be locked on its own."))
    _require(by, Capability.LOCK, site_id_of(obj))
    reason = _reason(reason)
    # Wait for a save of this form in flight to commit (a row lock, no write).
    type(obj)._base_manager.select_for_update().filter(pk=obj.pk).exists()
    lock = _create(
        by,
        reason,
        level=Level.FORM,
        participant_id=getattr(obj, "participant_id", None),
        site_id=site_id_of(obj),
        model_label=label,
        object_id=obj.pk,
    )
    record("participants.form_locked", target=obj, by=by, reason=reason, data=_data(lock))
    return lock


@transaction.atomic
def unlock_form(obj: models.Model, *, by: User, reason: str) -> Lock:
    _require(by, Capability.UNLOCK, site_id_of(obj))
    reason = _reason(reason)
    lock = _lift(form_lock(obj), by=by, reason=reason)
    record("participants.form_unlocked", target=obj, by=by, reason=reason, data=_data(lock))
    return lock


@transaction.atomic
def lock_casebook(participant: Participant, *, by: User, reason: str) -> Lock:
    """Lock a participant's casebook: every form of theirs becomes read-only."""
    _require(by, Capability.LOCK, participant.site_id)
    reason = _reason(reason)
    # The CRF services lock the participant row before writing: taking it here waits for
    # a save in flight and makes the next one see the lock.
    Participant.objects.select_for_update().filter(pk=participant.pk).exists()
    lock = _create(
        by, reason, level=Level.CASEBOOK, participant=participant, site_id=participant.site_id
    )
    record(
        "participants.casebook_locked", target=participant, by=by, reason=reason, data=_data(lock)
    )
    return lock


@transaction.atomic
def unlock_casebook(participant: Participant, *, by: User, reason: str) -> Lock:
    _require(by, Capability.UNLOCK, participant.site_id)
    reason = _reason(reason)
    lock = _lift(casebook_lock(participant), by=by, reason=reason)
    record(
        "participants.casebook_unlocked", target=participant, by=by, reason=reason, data=_data(lock)
    )
    return lock


@transaction.atomic
def lock_database(*, by: User, reason: str) -> Lock:
    """Lock the whole trial database (the first condition of the statistician's unblinding
    and of day-10 visibility)."""
    _require(by, Capability.LOCK)
    reason = _reason(reason)
    lock = _create(by, reason, level=Level.DATABASE)
    record("participants.database_locked", target=lock, by=by, reason=reason, data=_data(lock))
    return lock


@transaction.atomic
def unlock_database(*, by: User, reason: str) -> Lock:
    _require(by, Capability.UNLOCK)
    reason = _reason(reason)
    lock = _lift(current_database_lock(), by=by, reason=reason)
    record("participants.database_unlocked", target=lock, by=by, reason=reason, data=_data(lock))
    return lock


def _data(lock: Lock) -> dict[str, Any]:
    return {"lock": lock.pk, "level": lock.level}


def get_form(model_label: str, pk: int) -> models.Model | None:
    model = lockable_form(model_label)
    if model is None:
        return None
    return model._base_manager.filter(pk=pk).first()
