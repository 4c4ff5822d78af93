"""Read a local `.env` file into the environment (development convenience).

Variables already set in the environment win, so production (docker compose, systemd) and
the test settings, which set theirs before importing platinium.settings, are unaffected.
`make install` writes a development `.env` (DJANGO_DEBUG=true) when there is none, so
`python manage.py …` works on a developer machine without exporting anything.
"""

from __future__ import annotations

import os
from pathlib import Path


def load_env_file(path: Path) -> None:
    if not path.is_file():
        return
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        os.environ.setdefault(name.strip(), value.strip().strip("'\""))
