"""Demo data of this app, called by `manage.py seed_demo` (idempotent)."""

from __future__ import annotations

import random
from typing import Any


def seed(*, users: dict[str, Any], rng: random.Random, stdout: Any) -> None:
    return None
