"""The PostgreSQL guard that refuses writes on locked data (docs/decisions/0012-locks.md).

One plain PL/pgSQL function, ``platinium_refuse_locked_write()`` (created by the migration
participants/0004_lock_guard_function), is attached as a row trigger
``lock_guard`` to every guarded table. The list of guarded tables is computed
here from the models, never written by hand:

- every model that pghistory tracks (the audited clinical tables) in the clinical apps
  participants, eligibility and crf;
- the tracked models of randomization that hold a participant (the allocation), except the
  pharmacy tables (``PHARMACY_STAYS_WRITABLE``): kits keep expiring, being returned and
  destroyed after a database lock;
- never the pghistory event tables, nor the lock table itself (locking must not be
  refused by a lock).

The trigger arguments tell the function how to find, from a row, the form it belongs to
(its own row, or its parent form for a child row such as a readmission) and the
participant. ``install_guards`` runs after every ``migrate`` (post_migrate), so a clinical
table added later gets the guard without anyone remembering it; a test checks that every
guarded model's table carries it (``missing_guards``).

The function reads no session variable: unlike the pgtrigger triggers it cannot be
switched off with ``SET pgtrigger.ignore``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, models

# Named to sort before the pgtrigger_* triggers: PostgreSQL fires BEFORE triggers by name,
# so a lock is the reason given even where another protection would refuse too.
TRIGGER_NAME = "lock_guard"
FUNCTION_NAME = "platinium_refuse_locked_write"
# SQLSTATE raised by the guard; the web layer turns it into a French message.
LOCKED_SQLSTATE = "PLK01"

CLINICAL_APPS = ("participants", "eligibility", "crf")
PARTICIPANT_DATA_APPS = ("randomization",)
PHARMACY_STAYS_WRITABLE = frozenset({"randomization.kit"})
NEVER_GUARDED = frozenset({"participants.lock"})

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION_NAME}() RETURNS trigger
LANGUAGE plpgsql AS $guard$
DECLARE
    -- TG_ARGV: 0 form label, 1 column holding the form id, 2 column holding the
    -- participant id ('' when it is read from the parent form), 3 parent form table.
    rows jsonb[];
    r jsonb;
    form_id bigint;
    pid bigint;
    found_level text;
BEGIN
    -- Fast path, the usual case: no lock in force at all.
    IF NOT EXISTS (SELECT 1 FROM participants_lock WHERE unlocked_at IS NULL) THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        rows := ARRAY[to_jsonb(NEW)];
    ELSIF TG_OP = 'DELETE' THEN
        rows := ARRAY[to_jsonb(OLD)];
    ELSE
        rows := ARRAY[to_jsonb(OLD), to_jsonb(NEW)];
    END IF;
    FOREACH r IN ARRAY rows LOOP
        form_id := (r ->> TG_ARGV[1])::bigint;
        pid := NULL;
        IF TG_ARGV[2] <> '' THEN
            pid := (r ->> TG_ARGV[2])::bigint;
        ELSIF TG_ARGV[3] <> '' AND form_id IS NOT NULL THEN
            EXECUTE format('SELECT participant_id FROM %I WHERE id = $1', TG_ARGV[3])
                INTO pid USING form_id;
        END IF;
        SELECT l.level INTO found_level
          FROM participants_lock l
         WHERE l.unlocked_at IS NULL
           AND (l.level = 'database'
                OR (l.level = 'casebook' AND l.participant_id = pid)
                OR (l.level = 'form' AND l.model_label = TG_ARGV[0]
                    AND l.object_id = form_id))
         ORDER BY CASE l.level WHEN 'database' THEN 0 WHEN 'casebook' THEN 1 ELSE 2 END
         LIMIT 1;
        IF found_level IS NOT NULL THEN
            RAISE EXCEPTION 'locked: a % lock refuses % on %', found_level, TG_OP, TG_TABLE_NAME
                USING ERRCODE = '{LOCKED_SQLSTATE}',
                      HINT = 'Unlock it first (audited, with a reason).';
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$guard$;
"""  # noqa: S608 - constants only, no user input

DROP_FUNCTION_SQL = f"DROP FUNCTION IF EXISTS {FUNCTION_NAME}() CASCADE;"


@dataclass(frozen=True)
class GuardSpec:
    """How the trigger finds the form and the participant of a row of ``model``."""

    model: type[models.Model]
    form_label: str
    form_id_column: str
    participant_column: str
    parent_table: str

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def args(self) -> tuple[str, str, str, str]:
        return (self.form_label, self.form_id_column, self.participant_column, self.parent_table)


def _tracked_models() -> set[type[models.Model]]:
    from pghistory.models import Event

    tracked: set[type[models.Model]] = set()
    for model in apps.get_models():
        if issubclass(model, Event) and not model._meta.abstract:
            try:
                tracked.add(model._meta.get_field("pgh_obj").related_model)
            except Exception:  # noqa: S112 - an event model without pgh_obj tracks nothing
                continue
    return tracked


def _participant_fk(model: type[models.Model]) -> models.Field | None:
    from participants.models import Participant

    for f in model._meta.concrete_fields:
        if f.is_relation and f.related_model is Participant:
            return f
    return None


def is_guarded(model: type[models.Model], tracked: set[type[models.Model]]) -> bool:
    label = model._meta.label_lower
    if label in NEVER_GUARDED or label in PHARMACY_STAYS_WRITABLE or model not in tracked:
        return False
    if model._meta.app_label in CLINICAL_APPS:
        return True
    return model._meta.app_label in PARTICIPANT_DATA_APPS and _participant_fk(model) is not None


def guarded_models() -> list[type[models.Model]]:
    tracked = _tracked_models()
    found = [m for m in apps.get_models() if is_guarded(m, tracked)]
    return sorted(found, key=lambda m: m._meta.label_lower)


def spec_for(model: type[models.Model], guarded: list[type[models.Model]]) -> GuardSpec:
    from participants.models import Participant

    label = model._meta.label_lower
    if model is Participant:
        return GuardSpec(model, label, "id", "id", "")
    fk = _participant_fk(model)
    if fk is not None:
        return GuardSpec(model, label, "id", fk.column, "")
    # A child row (a readmission, a micro-organism, a screening measurement) belongs to its
    # parent form: the parent's form lock and the parent's participant apply to it.
    for f in model._meta.concrete_fields:
        parent = f.related_model if f.is_relation else None
        if parent in guarded and _participant_fk(parent) is not None:
            return GuardSpec(model, parent._meta.label_lower, f.column, "", parent._meta.db_table)
    raise LookupError(f"{label}: no path to a participant; decide how locks apply to it")


def guard_specs() -> list[GuardSpec]:
    guarded = guarded_models()
    return [spec_for(m, guarded) for m in guarded]


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _installed(conn: Any) -> dict[str, tuple[str, ...]]:
    """Enabled-always guard triggers: table → their arguments."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgargs FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s AND NOT t.tgisinternal AND t.tgenabled = 'A'",
            [TRIGGER_NAME],
        )
        rows = cursor.fetchall()
    # tgargs is bytea: every argument followed by a NUL byte.
    return {name: tuple(bytes(raw).decode().split("\0")[:-1]) for name, raw in rows}


def install_guards(using: Any = None) -> list[str]:
    """Attach (or refresh) the guard trigger on every guarded table that lacks it or has
    other arguments (DDL only where needed: this runs after every migrate and flush);
    returns the tables changed."""
    conn = using or connection
    installed = _installed(conn)
    tables = []
    with conn.cursor() as cursor:
        for spec in guard_specs():
            if installed.get(spec.table) == spec.args():
                continue
            args = ", ".join(_quote(a) for a in spec.args())
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {TRIGGER_NAME} "
                f'BEFORE INSERT OR UPDATE OR DELETE ON "{spec.table}" '
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION_NAME}({args})"
            )
            # ALWAYS: the guard fires even with session_replication_role = replica, the
            # other session switch that silences ordinary triggers.
            cursor.execute(f'ALTER TABLE "{spec.table}" ENABLE ALWAYS TRIGGER {TRIGGER_NAME}')
            tables.append(spec.table)
    return tables


def tables_with_guard(using: Any = None) -> set[str]:
    conn = using or connection
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s AND NOT t.tgisinternal AND t.tgenabled = 'A'",
            [TRIGGER_NAME],
        )
        return {row[0] for row in cursor.fetchall()}


def missing_guards(using: Any = None) -> list[str]:
    """Tables of guarded models without an enabled guard trigger (must be empty)."""
    present = tables_with_guard(using)
    return [m._meta.db_table for m in guarded_models() if m._meta.db_table not in present]


def is_lock_refusal(error: BaseException) -> bool:
    """True if a database error is the guard refusing a write on locked data."""
    cause = error
    for _ in range(3):
        if getattr(cause, "sqlstate", None) == LOCKED_SQLSTATE:
            return True
        if getattr(cause, "pgcode", None) == LOCKED_SQLSTATE:
            return True
        cause = cause.__cause__  # type: ignore[assignment]
        if cause is None:
            return False
    return False


def install_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate: every table that exists now gets the guard (once the function does)."""
    from django.db import connections

    conn = connections[using]
    with conn.cursor() as cursor:
        cursor.execute("SELECT to_regproc(%s) IS NOT NULL", [FUNCTION_NAME])
        if not cursor.fetchone()[0]:
            return
        existing = set(conn.introspection.table_names(cursor))
    if all(spec.table in existing for spec in guard_specs()):
        install_guards(conn)
