"""The application's database role: owns nothing, may not rewrite the audit trail.

Migrations run as the owner of the tables; web and worker processes connect as the
application role (docs/decisions/0002-audit-trail.md). `grant_app_role()` (re)applies its
rights; it runs after every `migrate` when PLATINIUM_APP_DB_ROLE is set, so a table added by
a later migration gets its rights at once, and by `manage.py grant_app_role`.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, models, transaction

# Rows the application only adds and reads: the audit trail and its context table, and the
# migration ledger (read at start-up, written only by `migrate`).
READ_ONLY_TABLES = frozenset({"django_migrations"})
EXTRA_APPEND_ONLY_TABLES = frozenset({"pghistory_context"})


class RoleError(Exception):
    """The role cannot serve as the application role (missing, superuser, owns tables…)."""


def history_event_models() -> list[type[models.Model]]:
    """Every pghistory event table of the project (one per tracked model)."""
    from pghistory.models import Event

    return [
        model
        for model in apps.get_models()
        if issubclass(model, Event)
        and not model._meta.abstract
        and not model._meta.proxy
        and model._meta.managed
    ]


def audit_models() -> list[type[models.Model]]:
    """The append-only audit trail: business events plus every field-history table."""
    from audit.models import AuditEvent

    return [AuditEvent, *history_event_models()]


def append_only_tables() -> list[str]:
    return sorted({m._meta.db_table for m in audit_models()} | EXTRA_APPEND_ONLY_TABLES)


def _check_role(cursor: Any, role: str) -> None:
    cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [role])
    row = cursor.fetchone()
    if row is None:
        raise RoleError(f"database role {role!r} does not exist: create it first")
    if row[0] or row[1]:
        raise RoleError(f"{role!r} is a superuser or bypasses row security: not an app role")
    cursor.execute("SELECT current_user")
    if cursor.fetchone()[0] == role:
        raise RoleError(f"{role!r} is the role running this command: grant from the owner")
    cursor.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
        " WHERE r.rolname = %s",
        [role],
    )
    if cursor.fetchone()[0]:
        raise RoleError(f"{role!r} owns tables: it could drop or disable their triggers")


def grant_app_role(role: str, *, using: str = "default") -> None:
    """Give `role` exactly what the application needs; idempotent (reset, then grant).

    DML on every table of the public schema, but on audit tables only SELECT and INSERT;
    no TRUNCATE, REFERENCES or TRIGGER right, no CREATE in the schema, no temporary
    tables, no ownership.
    """
    connection = connections[using]
    quote = connection.ops.quote_name
    name = quote(role)
    # One transaction: a running app never sees the moment between REVOKE and GRANT.
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _check_role(cursor, role)
        cursor.execute("SELECT current_database()")
        database = quote(cursor.fetchone()[0])
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        existing = {row[0] for row in cursor.fetchall()}
        statements = [
            # No temporary tables: a temp table named like an event table would take the
            # inserts of the capture triggers (pg_temp comes first in the search path).
            f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC",
            f"REVOKE ALL ON DATABASE {database} FROM {name}",
            f"GRANT CONNECT ON DATABASE {database} TO {name}",
            f"REVOKE ALL ON SCHEMA public FROM {name}",
            f"GRANT USAGE ON SCHEMA public TO {name}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {name}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}",
        ]
        for table in sorted(existing & (set(append_only_tables()) | READ_ONLY_TABLES)):
            statements.append(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {name}")
            if table in READ_ONLY_TABLES:
                statements.append(f"REVOKE INSERT ON {quote(table)} FROM {name}")
        for statement in statements:
            cursor.execute(statement)


def grant_after_migrate(using: str = "default", **kwargs: Any) -> None:
    """post_migrate: re-grant, so tables created by this migrate get their rights too."""
    role = getattr(settings, "PLATINIUM_APP_DB_ROLE", "")
    if role:
        grant_app_role(role, using=using)
