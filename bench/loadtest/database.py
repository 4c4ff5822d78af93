"""Throw-away databases of the load runs: a template built once per trial size, copied
for each run (a run writes; the next one starts from the same trial).

How a template is built (docs/decisions/0040-building-the-big-trial.md):
- the schema: `migrate` runs once per migration state into a schema database
  (`<stem>_schema_<fingerprint>`), which every template is then copied from;
- the trial: every participant is added through the real services (demo.trial) into a
  copy of the schema database;
- while a template is built its commits are asynchronous (`ALTER DATABASE … SET
  synchronous_commit = off`: a throw-away database), reset before it is marked complete.

Names derive from DATABASE_URL's database (e.g. platinium_load → platinium_load_tpl_326,
platinium_load_run_326), never the real or the pytest one. A template is marked complete
with the schema fingerprint it was built on: a migration change rebuilds it.
"""

from __future__ import annotations

import hashlib
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


def _stem() -> str:
    return urllib.parse.urlsplit(base_url()).path.lstrip("/") or "platinium_load"


def _names(size: int) -> tuple[str, str]:
    stem = _stem()
    return f"{stem}_tpl_{size}", f"{stem}_run_{size}"


def schema_fingerprint(root: Path = ROOT) -> str:
    """What the migrated schema depends on: every migration file of the project and the
    pinned requirements (third-party migrations). Same fingerprint, same schema."""
    digest = hashlib.sha256()
    files = sorted(
        path
        for path in root.glob("*/migrations/*.py")
        if not path.relative_to(root).parts[0].startswith(".")
    )
    for path in [*files, root / "requirements.txt"]:
        if path.exists():
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _marker(fingerprint: str) -> str:
    return f"{COMPLETE} {fingerprint}"


def _django(args: list[str], database: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": url_for(database),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        # The synthetic sites have no e-mail addresses: one error line per randomization.
        "DJANGO_LOG_LEVEL": "CRITICAL",
    }
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)


def _template_ready(cursor: psycopg2.extensions.cursor, name: str, fingerprint: str) -> bool:
    cursor.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
    )
    row = cursor.fetchone()
    return row is not None and row[0] == _marker(fingerprint)


def _build_once(
    cursor: psycopg2.extensions.cursor, name: str, fingerprint: str, *, source: str, args: list[str]
) -> str:
    """`name`, a copy of `source` completed by the Django process `args` with asynchronous
    commits, then marked complete; kept as it is when already complete for `fingerprint`."""
    if _template_ready(cursor, name, fingerprint):
        return name
    cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    cursor.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    _django(args, name)
    cursor.execute(f'ALTER DATABASE "{name}" RESET synchronous_commit')
    cursor.execute(f"COMMENT ON DATABASE \"{name}\" IS '{_marker(fingerprint)}'")
    return name


def _schema(cursor: psycopg2.extensions.cursor, fingerprint: str) -> str:
    """The migrated, empty database of this migration state (migrated once, then copied)."""
    name = f"{_stem()}_schema_{fingerprint}"
    return _build_once(
        cursor, name, fingerprint, source="template1", args=["manage.py", "migrate", "-v0"]
    )


def _template(cursor: psycopg2.extensions.cursor, size: int, *, workers: int) -> str:
    """The complete template of `size` participants, built if missing (module docstring)."""
    template, _run = _names(size)
    fingerprint = schema_fingerprint()
    if _template_ready(cursor, template, fingerprint):
        return template
    schema = _schema(cursor, fingerprint)
    population = ["-m", "bench.loadtest.population", str(size), str(workers)]
    return _build_once(cursor, template, fingerprint, source=schema, args=population)


def fresh_database(size: int, *, workers: int = 2) -> tuple[str, float]:
    """A new copy of the `size`-participant trial; (its URL, seconds spent building the
    template, 0 when it existed)."""
    template, run = _names(size)
    admin = _admin()
    started = time.monotonic()
    with admin.cursor() as cursor:
        was_ready = _template_ready(cursor, template, schema_fingerprint())
        _template(cursor, size, workers=workers)
        built = 0.0 if was_ready else time.monotonic() - started
        cursor.execute(f'DROP DATABASE IF EXISTS "{run}"')
        cursor.execute(f'CREATE DATABASE "{run}" TEMPLATE "{template}"')
    admin.close()
    return url_for(run), built
