"""An attacker's probe of the audit trail, run over a plain psycopg2 connection.

`probe_audit_table` tries every known way to alter or empty one audit table; each attempt
runs in its own transaction, is rolled back, and is reported as a bypass when the
database accepted it. `probe_capture` edits a clinical row under each session setting an
attacker could use to silence the history triggers and reports the edits left unrecorded.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import psycopg2
from django.db import connection, models
from django.utils import timezone


def connect_as(role: str) -> Any:
    """A new connection to the test database as `role` (TCP host/port or a socket dir)."""
    settings = connection.settings_dict
    options = settings.get("OPTIONS", {})
    params = {"dbname": settings["NAME"], "user": role}
    host = settings.get("HOST") or options.get("host")
    port = settings.get("PORT") or options.get("port")
    if host:
        params["host"] = host
    if port:
        params["port"] = str(port)
    return psycopg2.connect(**params)


def ensure_login_role(name: str) -> None:
    """Roles are cluster-wide: create it once, reuse it in later runs."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {connection.ops.quote_name(name)} LOGIN")


def trigger_names(cursor: Any, table: str) -> list[str]:
    cursor.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal"
        " ORDER BY tgname",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def trigger_functions(cursor: Any, table: str) -> list[str]:
    cursor.execute(
        "SELECT DISTINCT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal ORDER BY 1",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def snapshot(cursor: Any, table: str) -> tuple[int, str]:
    cursor.execute(
        "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
        f' FROM "{table}" t'
    )
    return cursor.fetchone()


def _ignore_all(names: list[str]) -> str:
    return "{" + ",".join(names) + "}"


def _attempt(conn: Any, table: str, statements: list[str]) -> str | None:
    """Run `statements` in one transaction; the first refusal's message, or None if
    everything was accepted AND left a mark (rows changed or DDL went through)."""
    with conn.cursor() as cursor:
        before = snapshot(cursor, table)
        conn.rollback()
        try:
            for statement in statements:
                cursor.execute(statement)
            changed = snapshot(cursor, table) != before
        except psycopg2.Error as error:
            return (error.pgerror or str(error)).strip().splitlines()[0]
        finally:
            conn.rollback()
    is_ddl = any(s.split()[0].upper() in {"ALTER", "DROP", "CREATE"} for s in statements)
    return None if (changed or is_ddl) else "accepted but changed nothing"


def probe_audit_table(conn: Any, table: str, column: str) -> dict[str, str | None]:
    """{attack: refusal message or None (= bypass)} for one audit table with rows."""
    with conn.cursor() as cursor:
        names = trigger_names(cursor, table)
        functions = trigger_functions(cursor, table)
    conn.rollback()
    update = f'UPDATE "{table}" SET "{column}" = \'forged\''
    delete = f'DELETE FROM "{table}"'
    ignore = f"SET LOCAL pgtrigger.ignore = '{_ignore_all(names)}'"
    attacks: dict[str, list[str]] = {
        "update": [update],
        "delete": [delete],
        "truncate": [f'TRUNCATE "{table}"'],
        "truncate cascade": [f'TRUNCATE "{table}" CASCADE'],
        "pgtrigger.ignore + update": [ignore, update],
        "pgtrigger.ignore + delete": [ignore, delete],
        "session pgtrigger.ignore + update": [
            f"SET pgtrigger.ignore = '{_ignore_all(names)}'",
            update,
        ],
        "session_replication_role + delete": ["SET session_replication_role = replica", delete],
        "disable trigger all": [f'ALTER TABLE "{table}" DISABLE TRIGGER ALL', delete],
        "disable trigger user": [f'ALTER TABLE "{table}" DISABLE TRIGGER USER', delete],
        "drop table": [f'DROP TABLE "{table}" CASCADE'],
    }
    for name in names:
        attacks[f"drop trigger {name}"] = [f'DROP TRIGGER "{name}" ON "{table}"', delete]
    for function in functions:
        attacks[f"replace function {function}"] = [
            f'CREATE OR REPLACE FUNCTION "{function}"() RETURNS trigger'
            " AS 'BEGIN RETURN NULL; END' LANGUAGE plpgsql",
            delete,
        ]
    results = {attack: _attempt(conn, table, sql) for attack, sql in attacks.items()}
    conn.rollback()
    with conn.cursor() as cursor:  # the SET without LOCAL must not linger either
        cursor.execute("RESET ALL")
    conn.commit()
    return results


def probe_capture(
    conn: Any, *, table: str, event_table: str, pk: int, column: str, values: list[str]
) -> dict[str, str]:
    """Edit row `pk` of a clinical table under each silencing setting; for each setting,
    'refused: …', 'captured' or 'NOT CAPTURED'. `values` gives one new value per setting."""
    with conn.cursor() as cursor:
        names = trigger_names(cursor, table)
    conn.rollback()
    settings = {
        "no setting": [],
        "SET LOCAL pgtrigger.ignore": [f"SET LOCAL pgtrigger.ignore = '{_ignore_all(names)}'"],
        "SET pgtrigger.ignore": [f"SET pgtrigger.ignore = '{_ignore_all(names)}'"],
        "session_replication_role": ["SET LOCAL session_replication_role = replica"],
        "disable trigger": [f'ALTER TABLE "{table}" DISABLE TRIGGER USER'],
        # pg_temp is searched first for relations: a temp table named like the event table
        # would receive the capture trigger's insert and vanish with the session.
        "temp shadow table": [
            f'CREATE TEMP TABLE "{event_table}" (LIKE public."{event_table}" INCLUDING ALL)'
        ],
    }
    outcome = {}
    for (name, statements), value in zip(settings.items(), values, strict=True):
        with conn.cursor() as cursor:
            count = f'SELECT count(*) FROM public."{event_table}" WHERE pgh_obj_id = %s'
            cursor.execute(count, [pk])
            events_before = cursor.fetchone()[0]
            try:
                for statement in statements:
                    cursor.execute(statement)
                cursor.execute(
                    f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s',
                    [value, pk],
                )
                conn.commit()
            except psycopg2.Error as error:
                conn.rollback()
                outcome[name] = "refused: " + (error.pgerror or str(error)).strip().splitlines()[0]
                continue
            cursor.execute(count, [pk])
            captured = cursor.fetchone()[0] == events_before + 1
            cursor.execute("RESET ALL")
            cursor.execute("DISCARD TEMP")
            conn.commit()
        outcome[name] = "captured" if captured else "NOT CAPTURED"
    return outcome


def dummy_value(field: models.Field) -> Any:
    """A value of the right type for a NOT NULL column (event tables have no FK constraint)."""
    kind = field.get_internal_type()
    if field.choices:
        return field.choices[0][0]
    if kind in {"CharField", "TextField", "SlugField", "EmailField"}:
        return "x"
    if kind in {"ForeignKey", "OneToOneField"}:
        return dummy_value(field.target_field)
    if "Integer" in kind or kind in {"BigAutoField", "AutoField"}:
        return 1
    if kind == "DecimalField":
        return Decimal(1)
    if kind == "FloatField":
        return 1.0
    if kind == "BooleanField":
        return False
    if kind == "DateTimeField":
        return timezone.now()
    if kind == "DateField":
        return date(2026, 1, 1)
    if kind == "TimeField":
        return time(10, 0)
    if kind == "DurationField":
        return timezone.timedelta(hours=1)
    if kind == "UUIDField":
        return uuid.uuid4()
    if kind == "JSONField":
        return {}
    if kind == "ArrayField":
        return []
    if kind == "BinaryField":
        return b"x"
    raise AssertionError(f"no dummy value for {field!r} ({kind})")


def add_synthetic_row(model: type[models.Model]) -> None:
    """One row in an event table that has none yet, written as the superuser."""
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.null or field.has_default():
            continue
        values[field.attname] = dummy_value(field)
    values["pgh_label"] = "insert"
    values["pgh_created_at"] = datetime.now(tz=timezone.get_current_timezone())
    model._base_manager.create(**values)
