"""One submission, one record (docs/decisions/0011-idempotent-creates.md).

A creating page renders a fresh key (`audit.forms.add_submission_key`). The view runs the
service inside `submitted_once(key, by=user)`; the service's create path calls
`refuse_replay(by=…)` once it holds its serializing lock, and `claim(row, by=…)` right after
inserting the row. A second submission of the same key (sequential or parallel) ends in
`AlreadySubmitted`, its transaction rolled back; the view then shows the row the first
submission created (`created_with`). Keys are per user: another user's key is unknown.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, models, transaction

from audit.models import SubmissionKey

# (key, user id) of the submission being served; consumed by the first claim.
_pending: contextvars.ContextVar[tuple[uuid.UUID, int] | None] = contextvars.ContextVar(
    "submission_key", default=None
)


class AlreadySubmitted(Exception):
    """This user's key already created a row: nothing was saved this time."""

    def __init__(self, key: uuid.UUID) -> None:
        self.key = key
        super().__init__(f"submission {key} was already saved")


@contextmanager
def submitted_once(key: uuid.UUID | None, *, by: AbstractBaseUser | None) -> Iterator[None]:
    """Serve one creating submission: the create path inside claims `key` for its row."""
    token = _pending.set((key, by.pk) if key is not None and by is not None and by.pk else None)
    try:
        yield
    finally:
        _pending.reset(token)


def _key_of(by: AbstractBaseUser | None) -> uuid.UUID | None:
    pending = _pending.get()
    if pending is None or pending[1] != getattr(by, "pk", None):
        return None
    return pending[0]


def refuse_replay(*, by: AbstractBaseUser | None) -> None:
    """Raise AlreadySubmitted if the pending key already created a row. Call it after the
    create path's lock, so a parallel twin's committed key is seen here."""
    key = _key_of(by)
    if key is None:
        return
    mine = SubmissionKey.objects.filter(user=by, key=key)  # type: ignore[misc]  # AUTH_USER_MODEL: audit sits below accounts
    if mine.exists():
        raise AlreadySubmitted(key)


def claim(target: models.Model, *, by: AbstractBaseUser | None) -> None:
    """Record that the pending key created `target` (inside the creating transaction).

    The (user, key) unique constraint is the guarantee: a twin that got past
    refuse_replay waits here for the first transaction, then fails and rolls back.
    """
    key = _key_of(by)
    if key is None:
        return
    _pending.set(None)  # one key, one row: later creates of the same request are not it
    try:
        with transaction.atomic():
            SubmissionKey.objects.create(
                key=key,
                user=by,  # type: ignore[misc]  # AUTH_USER_MODEL: audit sits below accounts
                target_type=target._meta.label_lower,
                target_id=str(target.pk),
            )
    except IntegrityError:
        raise AlreadySubmitted(key) from None


def created_with(
    key: uuid.UUID | str | None, *, by: AbstractBaseUser | None
) -> models.Model | None:
    """The row this user's key created (None: no key, a malformed one, an unknown one,
    or another user's: a key never reveals someone else's row)."""
    if not key or not getattr(by, "pk", None):
        return None
    try:
        key = key if isinstance(key, uuid.UUID) else uuid.UUID(str(key))
    except ValueError:
        return None
    mine = SubmissionKey.objects.filter(user=by, key=key)  # type: ignore[misc]  # AUTH_USER_MODEL: audit sits below accounts
    row = mine.first()
    if row is None:
        return None
    model = apps.get_model(row.target_type)
    created: models.Model | None = model._default_manager.filter(pk=row.target_id).first()
    return created
