"""The one save path of every CRF form: rules, derived fields, optimistic lock, system
queries (edit checks), audit."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext_noop

from audit.context import change_reason
from audit.idempotency import claim, refuse_replay
from audit.services import record, require_reason
from audit.versioning import save_versioned
from crf.definitions import CrfDefinition
from crf.facts import ParticipantFacts, participant_facts
from crf.models import (
    CrfRecord,
    CrfStatus,
    DataQuery,
    MessageKind,
    QueryMessage,
    QueryOrigin,
    QueryStatus,
)
from crf.rules.common import Finding, Severity, hard
from participants.models import Participant
from participants.services import ParticipantLocked as ParticipantLocked  # re-exported
from participants.services import lock_for_write
from platinium.lib.compiled import PLACEHOLDER, TEXT_PLACEHOLDER, CompiledQuery, compile_query

if TYPE_CHECKING:
    from accounts.types import User

# Columns of CrfRecord and VersionedModel: never form data.
BOOKKEEPING = frozenset(
    {
        "id",
        "participant",
        "status",
        "created_at",
        "created_by",
        "entered_in_error_at",
        "entered_in_error_by",
        "entered_in_error_reason",
        "version",
        "updated_at",
        "updated_by",
    }
)


class CrfRefused(Exception):
    """Hard edit checks failed: nothing was saved."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = [f for f in findings if f.severity == Severity.HARD]
        super().__init__("; ".join(f.english for f in self.findings))


@dataclass
class SaveResult:
    obj: Any
    created: bool
    warnings: list[Finding] = field(default_factory=list)  # soft: flagged
    missing: list[Finding] = field(default_factory=list)  # form stays in progress
    # The submitted values were those already stored: nothing was written.
    unchanged: bool = False
    # Items the user filled in that skip logic empties (they do not apply): said, not silent.
    not_kept: list[str] = field(default_factory=list)


def data_fields(model: type[CrfRecord]) -> list[models.Field[Any, Any]]:
    """The fields a form may write: concrete, editable, not bookkeeping, not server-owned."""
    server = set(getattr(model, "SERVER_FIELDS", ()))
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and f.name not in BOOKKEEPING and f.name not in server
    ]


def values_of(obj: models.Model) -> dict[str, Any]:
    return {
        f.name: getattr(obj, f.name) for f in obj._meta.concrete_fields if f.name not in BOOKKEEPING
    }


def blank_value(model_field: models.Field[Any, Any]) -> Any:
    if isinstance(model_field, ArrayField):
        return []
    if model_field.null:
        return None
    if isinstance(model_field, models.BooleanField):
        return False
    return ""


def _coerce(
    allowed: Mapping[str, models.Field[Any, Any]], data: Mapping[str, Any]
) -> dict[str, Any]:
    """Typed values of the allowed keys; a value of the wrong type is refused, not a 500."""
    out: dict[str, Any] = {}
    problems: list[Finding] = []
    for name, value in data.items():
        model_field = allowed.get(name)
        if model_field is None:
            continue
        if model_field.is_relation or value is None or value == "":
            out[name] = blank_value(model_field) if value == "" else value
            continue
        try:
            out[name] = model_field.to_python(value)
        except ValidationError:
            problems.append(Finding(name, "Enter a valid value.", {}, Severity.HARD))
    if problems:
        raise CrfRefused(problems)
    return out


def _linked_rows(
    participant: Participant,
    instance: CrfRecord | None,
    allowed: Mapping[str, models.Field[Any, Any]],
    values: Mapping[str, Any],
) -> list[Finding]:
    """A link to another row stays inside the participant's casebook and points at a row
    that counts (a drug linked to another patient's infection would leak across sites and
    corrupt both records). A link saved before may stay as it is."""
    problems = []
    for name, value in values.items():
        model_field = allowed.get(name)
        if model_field is None or not model_field.is_relation or value in (None, ""):
            continue
        related = model_field.related_model
        pk = getattr(value, "pk", value)
        if instance is not None and getattr(instance, model_field.attname) == pk:
            continue
        if not (
            isinstance(related, type)
            and issubclass(related, CrfRecord)
            and related.objects.current().filter(pk=pk, participant_id=participant.pk).exists()
        ):
            problems.append(
                hard(name, gettext_noop("Choose a current record of this participant."))
            )
    return problems


def lock_participant(participant: Participant, form: models.Model | None = None) -> Participant:
    """Serialize the writes of one participant (cross-form rules read consistent data) and
    refuse them, with a French message, while the database, the casebook or `form` is
    locked (PostgreSQL would refuse them anyway: participants/lock_guard.py)."""
    return lock_for_write(participant, form)


def sync_system_queries(
    obj: CrfRecord,
    warnings: list[Finding],
    *,
    by: User | None,
    close: bool = True,
    scope: Callable[[str, str], bool] | None = None,
    existing: list[DataQuery] | None = None,
) -> tuple[list[DataQuery], list[DataQuery]]:
    """Edit checks are system queries (docs/decisions/0013-data-queries.md): open one per
    soft finding not already queried, close (with a trace in the thread) the unresolved
    ones the saved values no longer trip. Runs in the save's transaction.
    `existing`: the row's system queries when the caller knows them already: read for many
    rows at once (the nightly run: one query per participant instead of one per row), or
    none for a row created in this transaction.

    A system query that a person closed (value confirmed) is not opened again while the
    field keeps the value it was raised on. `scope(field, msgid)`: only those checks are
    considered (a re-run of one check leaves the others as they are). Returns (opened, closed).
    """
    if existing is None:
        existing = _compiled_system_queries().instances(obj.pk, obj._meta.label_lower)
    existing = [q for q in existing if scope is None or scope(q.field, q.msgid)]
    wanted = {(f.field, f.msgid, _key(f.params)): f for f in warnings}
    now = timezone.now()
    user = by if getattr(by, "pk", None) else None
    closed: list[DataQuery] = []
    for query in existing:
        key = (query.field, query.msgid, _key(query.params))
        finding = wanted.get(key)
        if finding is not None:
            if query.is_unresolved or query.value_when_raised == _as_text(obj, query.field):
                wanted.pop(key)
        elif query.is_unresolved and close:
            query.status = QueryStatus.CLOSED
            query.closed_at = now
            save_versioned(query, expected_version=query.version, by=user)
            QueryMessage.objects.create(query=query, kind=MessageKind.AUTO_CLOSED, by=user)
            closed.append(query)
    opened: list[DataQuery] = []
    for f in wanted.values():
        query = DataQuery(
            participant_id=obj.participant_id,
            model_label=obj._meta.label_lower,
            object_id=obj.pk,
            day=getattr(obj, "day_date", None),
            field=f.field,
            value_when_raised=_as_text(obj, f.field),
            origin=QueryOrigin.SYSTEM,
            text=f.english,
            msgid=f.msgid,
            params=_jsonable(f.params),
            raised_by=user,
        )
        save_versioned(query, expected_version=None, by=user)
        QueryMessage.objects.create(query=query, kind=MessageKind.RAISED, text=f.english, by=user)
        opened.append(query)
    return opened, closed


def system_queries_query(object_id: Any, model_label: Any) -> QuerySet[DataQuery]:
    """A row's system queries not cancelled: those `sync_system_queries` keeps in step.
    (The id as a Value: the same `object_id = %s`, and the ORM does not refuse the negative
    placeholder of a positive integer column as a query that can match nothing.)"""
    return (
        DataQuery.objects.filter(model_label=model_label, object_id=Value(object_id))
        .system()
        .exclude(status=QueryStatus.CANCELLED)
    )


@functools.cache
def _compiled_system_queries() -> CompiledQuery:
    # Read on every update of a form: compiled once per process and prepared (ADR 0045).
    return compile_query(
        system_queries_query(PLACEHOLDER, TEXT_PLACEHOLDER),
        expected=2,
        placeholders=(PLACEHOLDER, TEXT_PLACEHOLDER),
    )


def _as_text(obj: Any, field: str) -> str:
    value = getattr(obj, field, None)
    return "" if value is None else str(value)


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
        for k, v in params.items()
    }


def _key(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in params.items()))


def save_form(
    definition: CrfDefinition,
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: CrfRecord | None = None,
    expected_version: int | None = None,
    reason: str = "",
    fixed: Mapping[str, Any] | None = None,
    extra_findings: Callable[[dict[str, Any], ParticipantFacts, CrfRecord], list[Finding]]
    | None = None,
    also_changed: bool = False,
) -> SaveResult:
    """Create or update one CRF row. Must run inside the caller's transaction.

    `data`: form values (server-owned fields in it are ignored: roles.md invariant 3);
    `fixed`: values the service owns (number, day, visit…); `instance` is None to create.
    `also_changed`: rows outside this one (an episode's microorganisms) changed, so the
    row is saved even when its own values did not.
    Raises ParticipantLocked, audit ReasonRequired, CrfRefused, StaleVersion.
    """
    model, rules = definition.model, definition.rules
    if rules is None:
        raise ValueError(f"{definition.slug} has no form of its own")
    participant = lock_participant(participant, instance)
    created = instance is None
    if instance is not None:
        if instance.participant_id != participant.pk:
            raise ValueError("the form belongs to another participant")
        if instance.status == CrfStatus.ENTERED_IN_ERROR:
            raise CrfRefused([Finding("__all__", "This form was marked entered in error.")])
    else:
        refuse_replay(by=by)  # after the participant lock: a twin's key is committed
    obj = instance or model(participant=participant, created_by=by)
    obj.participant = participant  # the locked row (its site names the audit event)
    allowed = {f.name: f for f in data_fields(model)}
    values = values_of(obj)
    typed = _coerce(allowed, data)
    linked = _linked_rows(participant, instance, allowed, typed)
    if linked:
        raise CrfRefused(linked)
    values.update(typed)
    values.update(fixed or {})
    if instance is not None and not also_changed and _same(instance, values):
        # Saved unchanged: no new version, no history row, no audit entry, no reason asked.
        return SaveResult(obj=instance, created=False, unchanged=True)
    if instance is not None:
        reason = require_reason(instance, reason)
    all_fields = {f.name: f for f in model._meta.concrete_fields}
    not_kept = []
    for name in rules.skipped(values):
        if name in all_fields:
            blank = blank_value(all_fields[name])
            if name in typed and typed[name] != blank:
                not_kept.append(name)
            values[name] = blank
    facts = participant_facts(participant)
    context = rules.context(participant, instance, fixed or {})
    findings = rules.check(values, facts, instance, **context)
    hard = [f for f in findings if f.severity == Severity.HARD]
    if hard:
        raise CrfRefused(hard)
    values.update(rules.derive(values, facts))
    changed = sorted(k for k, v in values.items() if getattr(obj, k, None) != v)
    for name, value in values.items():
        setattr(obj, name, value)
    if extra_findings is not None:
        findings += extra_findings(values, facts, obj)
    missing = [f for f in findings if f.severity == Severity.MISSING]
    warnings = [f for f in findings if f.severity == Severity.SOFT]
    obj.status = CrfStatus.IN_PROGRESS if missing else CrfStatus.COMPLETE
    with change_reason(reason):
        save_versioned(obj, expected_version=expected_version, by=by)
    if created:
        claim(obj, by=by)
    sync_system_queries(obj, warnings, by=by, existing=[] if created else None)
    record(
        f"crf.{model._meta.model_name}.{'create' if created else 'update'}",
        target=obj,
        by=by,
        reason=reason,
        data={"status": obj.status, "fields": changed, "flags": len(warnings)},
    )
    return SaveResult(
        obj=obj,
        created=created,
        warnings=warnings,
        missing=missing,
        not_kept=sorted(not_kept),
    )


def _same(instance: CrfRecord, values: Mapping[str, Any]) -> bool:
    """The submitted values are exactly the stored ones. Skip logic and derivation are
    functions of these values: saving them again could only rewrite what is stored."""
    return all(getattr(instance, name, None) == value for name, value in values.items())


@transaction.atomic
def mark_entered_in_error(
    obj: CrfRecord, *, by: User, reason: str, expected_version: int | None = None
) -> CrfRecord:
    """Void a form (audited, with a reason); it stays in the database and in the trail."""
    reason = (reason or "").strip()
    if not reason:
        from audit.services import ReasonRequired

        raise ReasonRequired("A reason is required to mark a form entered in error.")
    lock_participant(obj.participant, obj)
    obj.status = CrfStatus.ENTERED_IN_ERROR
    obj.entered_in_error_at = timezone.now()
    obj.entered_in_error_by = by
    obj.entered_in_error_reason = reason
    with change_reason(reason):
        save_versioned(
            obj,
            expected_version=expected_version if expected_version is not None else obj.version,
            by=by,
        )
    sync_system_queries(obj, [], by=by)  # a voided form has nothing left to query
    record(f"crf.{obj._meta.model_name}.entered_in_error", target=obj, by=by, reason=reason)
    return obj
