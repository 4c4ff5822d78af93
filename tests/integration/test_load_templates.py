"""The load runs' template databases (bench/loadtest/database.py, ADR 0040): `migrate` runs
once per migration state into a schema database that every trial template is copied from;
a template counts as built only for the schema it was built on; asynchronous commits are
a building-time setting only. Negative controls: a template marked with another schema's
fingerprint is rebuilt, and a changed migration file changes the fingerprint."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from bench.loadtest import database
from tests.gunicorn import database_url

SIZE = 3


def test_the_fingerprint_follows_the_migrations_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "crf" / "migrations").mkdir(parents=True)
    (tmp_path / "crf" / "migrations" / "0001_initial.py").write_text("operations = []\n")
    (tmp_path / "requirements.txt").write_text("django==5.2\n")
    first = database.schema_fingerprint(tmp_path)

    (tmp_path / "crf" / "views.py").write_text("# not a migration\n")
    (tmp_path / ".venv" / "x" / "migrations").mkdir(parents=True)
    (tmp_path / ".venv" / "x" / "migrations" / "0001_initial.py").write_text("x = 1\n")
    assert database.schema_fingerprint(tmp_path) == first

    # Negative controls: a new migration, an edited one, a new pin: another schema.
    (tmp_path / "crf" / "migrations" / "0002_more.py").write_text("operations = []\n")
    second = database.schema_fingerprint(tmp_path)
    assert second != first
    (tmp_path / "crf" / "migrations" / "0002_more.py").write_text("operations = [1]\n")
    assert database.schema_fingerprint(tmp_path) != second
    third = database.schema_fingerprint(tmp_path)
    (tmp_path / "requirements.txt").write_text("django==5.2.1\n")
    assert database.schema_fingerprint(tmp_path) != third


@pytest.fixture
def stem(monkeypatch: pytest.MonkeyPatch, django_db_blocker: object) -> Iterator[str]:
    """Throw-away names of this test only (dropped afterwards)."""
    name = f"{connection.settings_dict['NAME']}_lt"
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        # TCP, or the embedded server's socket directory as ?host= (CI): the name is
        # the URL's path either way, never cut out of the text.
        url = database_url({**connection.settings_dict, "NAME": name})
    monkeypatch.setenv("DATABASE_URL", url)
    yield name
    admin = database._admin()
    with admin.cursor() as cursor:
        pattern = name.replace("_", r"\_") + "%"
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [pattern])
        for (found,) in cursor.fetchall():
            cursor.execute(f'DROP DATABASE IF EXISTS "{found}" WITH (FORCE)')
    admin.close()


def _one(url: str, sql: str, params: list[object] | None = None) -> object:
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
    conn.close()
    return None if row is None else row[0]


def _database_oid(name: str) -> object:
    sql = "SELECT oid FROM pg_database WHERE datname = %s"
    return _one(database.url_for("postgres"), sql, [name])


@pytest.mark.slow
def test_the_schema_is_migrated_once_and_a_stale_template_is_rebuilt(stem: str) -> None:
    fingerprint = database.schema_fingerprint()
    schema, template = f"{stem}_schema_{fingerprint}", f"{stem}_tpl_{SIZE}"

    url, built = database.fresh_database(SIZE, workers=1)
    assert built > 0
    assert urllib.parse.urlsplit(url).path == f"/{stem}_run_{SIZE}"
    codes_sql = "SELECT string_agg(code, ',' ORDER BY code) FROM participants_participant"
    codes = _one(url, codes_sql)
    assert _one(url, "SELECT count(*) FROM randomization_allocation") == SIZE
    assert _one(url, "SELECT count(*) FROM audit_auditevent") > 0
    # The schema database stays empty: templates are copies of it, not the reverse.
    assert _one(database.url_for(schema), "SELECT count(*) FROM participants_participant") == 0
    # Asynchronous commits were the build's own setting: neither database keeps it.
    for name in (schema, template):
        assert (
            _one(
                database.url_for("postgres"),
                "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d"
                " ON d.oid = s.setdatabase WHERE d.datname = %s",
                [name],
            )
            == 0
        )
    schema_oid, template_oid = _database_oid(schema), _database_oid(template)

    # Built once: the next run is a copy of the same template (same trial, no build).
    url, built = database.fresh_database(SIZE, workers=1)
    assert built == 0.0
    assert _database_oid(template) == template_oid
    assert _one(url, codes_sql) == codes

    # Negative control: a template marked for another schema is not reused, and it is
    # rebuilt from the existing schema database (no second migrate), to the same trial.
    admin = database._admin()
    with admin.cursor() as cursor:
        marker = database._marker("0" * 16)
        cursor.execute(f"COMMENT ON DATABASE \"{template}\" IS '{marker}'")
        assert not database._template_ready(cursor, template, fingerprint)
    admin.close()
    url, built = database.fresh_database(SIZE, workers=1)
    assert built > 0
    assert _database_oid(template) != template_oid
    assert _database_oid(schema) == schema_oid
    assert _one(url, codes_sql) == codes
