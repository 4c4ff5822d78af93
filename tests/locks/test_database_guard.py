"""PostgreSQL itself refuses writes on locked data: raw SQL on EVERY clinical table
(the list generated from the models) after `lock_database`, accepted after
`unlock_database`; casebook and form locks per table; the guard cannot be switched off by
a session variable; every guarded table carries it (negative controls drop it)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from participants import lock_guard, locks
from participants.lock_guard import GuardSpec, guard_specs, is_lock_refusal, missing_guards

SPECS = {spec.table: spec for spec in guard_specs()}
TABLES = sorted(SPECS)


class _Rollback(Exception):
    pass


def attempt(sql: str, params: list[Any]) -> tuple[str, Any]:
    """Run one statement in a savepoint that is always rolled back: ("ok", rowcount),
    ("locked", message) when the lock guard refused it, or ("error", message)."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                count = cursor.rowcount
            raise _Rollback(count)
    except _Rollback as done:
        return "ok", done.args[0]
    except DatabaseError as error:
        return ("locked" if is_lock_refusal(error) else "error"), str(error)


def statements(table: str) -> dict[str, str]:
    return {
        "UPDATE": f'UPDATE "{table}" SET id = id WHERE id = %s',
        "INSERT": f'INSERT INTO "{table}" SELECT * FROM "{table}" WHERE id = %s',
        "DELETE": f'DELETE FROM "{table}" WHERE id = %s',
    }


def rows_with_participant(spec: GuardSpec) -> list[tuple[int, int | None]]:
    """(row id, participant id) of every row of the table, read with SQL."""
    if spec.participant_column:
        sql = f'SELECT id, "{spec.participant_column}" FROM "{spec.table}" ORDER BY id'
    else:
        sql = (
            f'SELECT c.id, p.participant_id FROM "{spec.table}" c '
            f'JOIN "{spec.parent_table}" p ON p.id = c."{spec.form_id_column}" ORDER BY c.id'
        )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def first_row(table: str) -> int:
    rows = rows_with_participant(SPECS[table])
    assert rows, f"{table} has no row to try: the world must fill every guarded table"
    return rows[0][0]


def test_the_guarded_tables_are_every_audited_clinical_table_and_nothing_else() -> None:
    from django.apps import apps
    from pghistory.models import Event

    guarded = {spec.model for spec in guard_specs()}
    tracked = {
        m._meta.get_field("pgh_obj").related_model
        for m in apps.get_models()
        if issubclass(m, Event) and any(f.name == "pgh_obj" for f in m._meta.fields)
    }
    clinical = {m for m in tracked if m._meta.app_label in ("participants", "eligibility", "crf")}
    assert clinical <= guarded
    labels = {m._meta.label_lower for m in guarded}
    assert "randomization.allocation" in labels
    # Pharmacy stays writable after a lock; the lock table and the event tables are never
    # guarded (locking must not be refused by a lock).
    assert "randomization.kit" not in labels
    assert "participants.lock" not in labels
    assert not any(issubclass(m, Event) for m in guarded)
    assert len(guarded) >= 26


@pytest.mark.django_db
def test_every_guarded_table_carries_the_guard_and_a_missing_one_is_detected() -> None:
    assert missing_guards() == []
    # Negative control: a clinical table without the trigger is reported.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TRIGGER {lock_guard.TRIGGER_NAME} ON "crf_dailyfollowup"')
        assert missing_guards() == ["crf_dailyfollowup"]
        transaction.set_rollback(True)
    assert missing_guards() == []


@pytest.mark.django_db
def test_a_new_clinical_table_gets_the_guard_from_install_guards() -> None:
    assert lock_guard.install_guards() == []  # already in place: no DDL at all
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TRIGGER {lock_guard.TRIGGER_NAME} ON "crf_readmission"')
        assert "crf_readmission" in missing_guards()
        # What post_migrate runs after every migrate.
        lock_guard.install_after_migrate(sender=None, using="default")
        assert missing_guards() == []
        # A trigger with stale arguments is replaced too.
        with connection.cursor() as cursor:
            cursor.execute(
                f'CREATE OR REPLACE TRIGGER {lock_guard.TRIGGER_NAME} BEFORE UPDATE ON "crf_death" '
                f"FOR EACH ROW EXECUTE FUNCTION {lock_guard.FUNCTION_NAME}('x', 'id', '', '')"
            )
            cursor.execute(
                f'ALTER TABLE "crf_death" ENABLE ALWAYS TRIGGER {lock_guard.TRIGGER_NAME}'
            )
        assert lock_guard.install_guards() == ["crf_death"]
        transaction.set_rollback(True)


def test_the_migration_holds_the_same_guard_function_as_the_module() -> None:
    migration = importlib.import_module("participants.migrations.0003_lock_guard_function")
    assert migration.FUNCTION_SQL == lock_guard.FUNCTION_SQL
    assert "pgtrigger" not in lock_guard.FUNCTION_SQL  # no session switch honoured


@pytest.mark.parametrize("table", TABLES)
def test_raw_sql_on_every_clinical_table_is_refused_after_lock_database_and_accepted_after_unlock(
    table: str, lock_world: dict[str, Any], db: Any
) -> None:
    dm = lock_world["dm"]
    row = first_row(table)
    call_command("lock_database", by=dm.username, reason="final database lock")
    for verb, sql in statements(table).items():
        outcome, detail = attempt(sql, [row])
        assert outcome == "locked", (verb, outcome, detail)
    call_command("unlock_database", by=dm.username, reason="query to resolve")
    assert attempt(statements(table)["UPDATE"], [row]) == ("ok", 1)
    for verb in ("INSERT", "DELETE"):
        # Other rules may still refuse (a duplicate key, a protected reference): not the lock.
        outcome, detail = attempt(statements(table)[verb], [row])
        assert outcome != "locked", (verb, detail)


def test_the_refusal_depends_on_the_trigger_negative_control(
    lock_world: dict[str, Any], db: Any
) -> None:
    table = "crf_dailyfollowup"
    row = first_row(table)
    locks.lock_database(by=lock_world["dm"], reason="final database lock")
    assert attempt(statements(table)["UPDATE"], [row])[0] == "locked"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TRIGGER {lock_guard.TRIGGER_NAME} ON "{table}"')
    assert attempt(statements(table)["UPDATE"], [row]) == ("ok", 1)


@pytest.mark.parametrize(
    "switch",
    [
        "SET LOCAL pgtrigger.ignore = '{crf_dailyfollowup:lock_guard}'",
        "SET LOCAL session_replication_role = replica",
    ],
)
def test_no_session_setting_switches_the_guard_off(
    switch: str, lock_world: dict[str, Any], db: Any
) -> None:
    table = "crf_dailyfollowup"
    row = first_row(table)
    locks.lock_database(by=lock_world["dm"], reason="final database lock")
    outcome, detail = attempt(f"{switch}; {statements(table)['UPDATE']}", [row])
    assert outcome == "locked", detail


@pytest.mark.parametrize("table", TABLES)
def test_a_casebook_lock_refuses_raw_sql_on_that_participants_rows_only(
    table: str, lock_world: dict[str, Any], db: Any
) -> None:
    from participants.models import Participant

    rows = [(r, p) for r, p in rows_with_participant(SPECS[table]) if p is not None]
    assert rows, f"{table}: no row of a participant"
    row, pid = rows[0]
    others = [r for r, p in rows if p != pid]
    participant = Participant.objects.get(pk=pid)
    locks.lock_casebook(participant, by=lock_world["dm"], reason="casebook reviewed")
    for verb, sql in statements(table).items():
        assert attempt(sql, [row])[0] == "locked", verb
    if others:  # another participant's row of the same table is still writable
        assert attempt(statements(table)["UPDATE"], [others[0]]) == ("ok", 1)
    locks.unlock_casebook(participant, by=lock_world["dm"], reason="query to resolve")
    assert attempt(statements(table)["UPDATE"], [row]) == ("ok", 1)


FORM_TABLES = [t for t in TABLES if SPECS[t].model._meta.app_label in locks.FORM_APPS]


@pytest.mark.parametrize("table", FORM_TABLES)
def test_a_form_lock_refuses_raw_sql_on_that_form_and_its_child_rows_only(
    table: str, lock_world: dict[str, Any], db: Any
) -> None:
    spec = SPECS[table]
    form_model = locks.lockable_form(spec.form_label)
    assert form_model is not None
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id, "{spec.form_id_column}" FROM "{table}" ORDER BY id')
        rows = cursor.fetchall()
    row, form_id = rows[0]
    others = [r for r, f in rows if f != form_id]
    form = form_model._base_manager.get(pk=form_id)
    locks.lock_form(form, by=lock_world["dm"], reason="form reviewed")
    for verb, sql in statements(table).items():
        assert attempt(sql, [row])[0] == "locked", verb
    if others:
        assert attempt(statements(table)["UPDATE"], [others[0]]) == ("ok", 1)
    locks.unlock_form(form, by=lock_world["dm"], reason="query to resolve")
    assert attempt(statements(table)["UPDATE"], [row]) == ("ok", 1)
