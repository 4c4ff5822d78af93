"""A GET writes nothing (issue #13, docs/decisions/0022).

Every GET page of the truth table is requested as a role allowed on it (and, for object
pages, as a site-11 user with site 16's object, the 404 path). Two independent
witnesses, no table excluded:
- every SQL statement the request sends is captured; none may be an INSERT, UPDATE,
  DELETE, MERGE or TRUNCATE;
- PostgreSQL's own per-transaction counters (`pg_stat_xact_all_tables`: rows inserted,
  updated, deleted in the current transaction, whoever wrote them: Django, a trigger,
  raw SQL) must not move, whatever table it is (sessions, audit, clinical).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.access.harness import ROLE_KEYS, Entry, all_entries, build_world

pytestmark = pytest.mark.django_db

GET_ENTRIES = [e for e in all_entries() if e.method == "GET"]

# Handing out a copy of clinical data is itself the act the audit trail must record (who
# took which casebook or dataset, docs/decisions/0015, 0020): these two GETs write exactly
# one business event and nothing else (docs/decisions/0022).
AUDITED_COPIES = {"exports:casebook_pdf", "exports:download"}
ONE_AUDIT_EVENT = 'INSERT INTO "audit_auditevent"'

# pghistory prefixes the statements it tracks with `SELECT set_config(...); `.
_PGHISTORY_PREFIX = re.compile(r"^\s*SELECT set_config\('pghistory\.[^;]*;\s*", re.I)
_WRITE = re.compile(
    r"^\s*(?:WITH\b.*?\b)?(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|MERGE\s+INTO|TRUNCATE)\b",
    re.I | re.S,
)


def rows_written() -> int:
    """Rows inserted, updated or deleted so far in this transaction, in any table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) "
            "FROM pg_stat_xact_all_tables"
        )
        return int(cursor.fetchone()[0])


def is_write(sql: str) -> bool:
    return bool(_WRITE.match(_PGHISTORY_PREFIX.sub("", sql)))


@contextmanager
def write_witness() -> Iterator[list[str]]:
    """Yields the list of write statements sent inside the block; after the block the
    list also holds a line for rows PostgreSQL counted without a captured statement."""
    statements: list[str] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if is_write(sql if isinstance(sql, str) else sql.decode()):
            statements.append(" ".join(str(sql).split())[:200])
        return execute(sql, params, many, context)

    before = rows_written()
    with connection.execute_wrapper(capture):
        yield statements
    written = rows_written() - before
    if written and not statements:
        statements.append(f"{written} row(s) written by no captured statement")


def _url(entry: Entry, kwargs: dict[str, Any]) -> str:
    return reverse(entry.name, kwargs=kwargs) + (f"?{entry.query}" if entry.query else "")


def writes_of(entries: list[Entry], role_users: dict[str, Any], world: Any) -> dict:
    """(url, role) → the write statements its GET sent."""
    found: dict[tuple[str, str], list[str]] = {}
    clients: dict[str, Client] = {}
    for role in ROLE_KEYS:
        clients[role] = Client()
        clients[role].force_login(role_users[role])  # the login itself writes; not measured
    requests: list[tuple[str, str, bool]] = []
    for entry in entries:
        kwargs = entry.kwargs(world) if entry.kwargs else {}
        audited = entry.name in AUDITED_COPIES
        # One allowed role per page (the first in ROLE_KEYS: site roles before global ones).
        role = next(r for r in ROLE_KEYS if r in entry.allowed)
        requests.append((_url(entry, kwargs), role, audited))
        if entry.other_site_kwargs and (denied := entry.allowed & entry.other_site_denied):
            role = next(r for r in ROLE_KEYS if r in denied)
            requests.append((_url(entry, entry.other_site_kwargs(world)), role, False))
    for url, role, audited in requests:
        before = rows_written()
        with write_witness() as statements:
            response = clients[role].get(url)
        assert response.status_code < 500, (url, role, response.status_code)
        # An audited copy: exactly one audit event, counted by PostgreSQL too.
        if (
            audited
            and response.status_code == 200
            and len(statements) == 1
            and statements[0].startswith(ONE_AUDIT_EVENT)
            and rows_written() - before == 1
        ):
            continue
        if statements:
            found[(url, role)] = statements
    return found


def test_no_get_page_writes_a_row(role_users: dict[str, Any]) -> None:
    world = build_world(role_users)
    found = writes_of(GET_ENTRIES, role_users, world)
    assert found == {}, "\n".join(f"{url} as {role}: {sql}" for (url, role), sql in found.items())
    # Not vacuous: every GET page of the table was requested.
    assert len(GET_ENTRIES) > 40


def test_negative_control_a_get_that_saves_the_session_is_caught(
    role_users: dict[str, Any], settings: Any
) -> None:
    world = build_world(role_users)
    settings.SESSION_SAVE_EVERY_REQUEST = True
    home = [e for e in GET_ENTRIES if e.name == "home"]
    found = writes_of(home, role_users, world)
    assert found and all(any("django_session" in s for s in v) for v in found.values()), found


def test_negative_control_a_write_the_statement_capture_misses_is_counted(db: Any) -> None:
    """A write hidden behind a statement that does not look like one (as a trigger or a
    function would do it) is still caught by PostgreSQL's counters."""
    with write_witness() as statements, connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1; /* hidden */ INSERT INTO django_session VALUES ('planted', '', now())"
        )
    assert statements == ["1 row(s) written by no captured statement"]
    assert not is_write("SELECT * FROM crf_dailyfollowup FOR UPDATE")
    assert is_write("SELECT set_config('pghistory.context_id', '1', true); UPDATE crf_x SET a = 1")
