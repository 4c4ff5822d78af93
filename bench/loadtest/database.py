"""Throw-away databases of the load runs: a template built once per trial size, copied
for each run (a run writes; the next one starts from the same trial).

Names derive from DATABASE_URL's database (e.g. platinium_load → platinium_load_tpl_326,
platinium_load_run_326), never the real or the pytest one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[2]
COMPLETE = "platinium load template: complete"


def base_url() -> str:
    """DATABASE_URL, else the embedded server, as the app itself (ADR 0001)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from platinium.lib.embedded_db import embedded_database_url

    return embedded_database_url(Path(os.environ.get("PLATINIUM_DATA_DIR", ROOT / ".data")))


def url_for(name: str) -> str:
    parts = urllib.parse.urlsplit(base_url())
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def _admin() -> psycopg2.extensions.connection:
    # libpq reads the URL itself: TCP, or a Unix socket given as ?host=/dir (embedded server).
    connection = psycopg2.connect(url_for("postgres"))
    connection.autocommit = True
    return connection


def _names(size: int) -> tuple[str, str]:
    stem = urllib.parse.urlsplit(base_url()).path.lstrip("/") or "platinium_load"
    return f"{stem}_tpl_{size}", f"{stem}_run_{size}"


def _django(args: list[str], database: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": url_for(database),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        # The synthetic sites have no e-mail addresses: one error line per randomization.
        "DJANGO_LOG_LEVEL": "CRITICAL",
    }
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)


def _template_ready(cursor: psycopg2.extensions.cursor, name: str) -> bool:
    cursor.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
    )
    row = cursor.fetchone()
    return row is not None and row[0] == COMPLETE


def fresh_database(size: int, *, workers: int = 2) -> tuple[str, float]:
    """A new copy of the `size`-participant trial; (its URL, seconds spent building the
    template, 0 when it existed)."""
    template, run = _names(size)
    built = 0.0
    admin = _admin()
    with admin.cursor() as cursor:
        if not _template_ready(cursor, template):
            started = time.monotonic()
            cursor.execute(f'DROP DATABASE IF EXISTS "{template}"')
            cursor.execute(f'CREATE DATABASE "{template}"')
            _django(["manage.py", "migrate", "-v0"], template)
            _django(["-m", "bench.loadtest.population", str(size), str(workers)], template)
            cursor.execute(f"COMMENT ON DATABASE \"{template}\" IS '{COMPLETE}'")
            built = time.monotonic() - started
        cursor.execute(f'DROP DATABASE IF EXISTS "{run}"')
        cursor.execute(f'CREATE DATABASE "{run}" TEMPLATE "{template}"')
    admin.close()
    return url_for(run), built
