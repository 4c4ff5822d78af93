"""Compiled queries run as prepared statements, prepared once per database connection
(platinium/lib/compiled.py, ADR 0045)."""

from __future__ import annotations

import psycopg2
import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from participants.models import Participant
from platinium.lib import compiled
from platinium.lib.compiled import PLACEHOLDER, compile_query, server_text

pytestmark = pytest.mark.django_db


def test_django_parameters_become_postgresql_parameters() -> None:
    assert server_text("SELECT %s, '50%%', %s") == "SELECT $1, '50%', $2"
    assert server_text("SELECT 1") == "SELECT 1"


def _query(*fields: str) -> compiled.CompiledQuery:
    """A query of its own per test (its own statement name): statements outlive the test's
    rolled-back transaction on the connection the tests share."""
    return compile_query(Participant.objects.filter(pk=PLACEHOLDER).values_list(*fields))


def _prepared_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_prepared_once_then_executed() -> None:
    query = _query("code")
    with CaptureQueriesContext(connection) as first:
        assert query.rows(10**9) == []
    with CaptureQueriesContext(connection) as second:
        assert query.rows(10**9) == []
    # One round trip each time: the PREPARE went with the first EXECUTE.
    assert len(first.captured_queries) == len(second.captured_queries) == 1
    assert first.captured_queries[0]["sql"].startswith("PREPARE platinium_")
    assert second.captured_queries[0]["sql"].startswith("EXECUTE platinium_")
    assert any(name.startswith("platinium_") for name in _prepared_names())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_new_connection_prepares_again() -> None:
    query = _query("code", "id")
    query.rows(1)
    connection.close()  # the next query opens a new server session
    with CaptureQueriesContext(connection) as again:
        assert query.rows(10**9) == []
    assert again.captured_queries[0]["sql"].startswith("PREPARE platinium_")


def test_a_failed_first_execute_leaves_a_statement_that_is_found_again() -> None:
    """The PREPARE outlives the failed EXECUTE sent with it: the next call asks the server
    instead of preparing twice."""
    query = _query("seq", "code")
    with pytest.raises(DatabaseError), transaction.atomic():
        query.rows("not a number")  # the EXECUTE fails: invalid integer
    assert query.rows(10**9) == []


def test_control_without_asking_the_server_the_second_prepare_fails() -> None:
    """Negative control: forgetting that the statement may exist fails as described."""
    query = _query("status")
    with pytest.raises(DatabaseError), transaction.atomic():
        query.rows("not a number")
    registry = compiled._registry(connection)
    registry.unsure.clear()
    with pytest.raises(DatabaseError) as refused, transaction.atomic():
        query.rows(10**9)
    assert isinstance(refused.value.__cause__, psycopg2.errors.DuplicatePreparedStatement)


def test_the_statement_is_named_once_not_on_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """The name (a hash of the SQL), the EXECUTE and the PREPARE are written when the query
    is compiled: running it hashes nothing."""
    query = _query("code", "site")
    query.rows(10**9)

    def no_hashing(*args: object) -> None:
        raise AssertionError("hashed again")

    monkeypatch.setattr(compiled.hashlib, "sha256", no_hashing)
    with CaptureQueriesContext(connection) as run:
        assert query.rows(10**9) == []
    assert run.captured_queries[0]["sql"].startswith(f"EXECUTE {query.compiled.name}(")
    # Negative control: compiling does hash (the patch is in force).
    with pytest.raises(AssertionError, match="hashed again"):
        _query("code", "site")
