"""The per-URL authorization truth table (roles.md invariant 6).

Each app has a `tests/access/table_<app>.py` module with:
- `ENTRIES`: a list of `Entry`, one per URL pattern name (and method);
- optionally `populate(world)`: creates the objects its entries need, at site 11
  (visible to the site-11 users) and at site 16 (another site's object → 404).

`test_truth_table.py` requests every entry as every role; `test_url_coverage.py`
fails when a URL pattern has no entry, so a new view cannot ship without an
authorization decision.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

ROLE_KEYS = (
    "investigator",
    "coordinator",
    "pharmacist",
    "monitor",
    "data_manager",
    "statistician",
    "randomization_manager",
    "admin",
)
SITE_ROLES = frozenset({"investigator", "coordinator", "pharmacist", "monitor"})
EVERYONE = frozenset(ROLE_KEYS)

World = SimpleNamespace


@dataclass(frozen=True)
class Entry:
    name: str
    allowed: frozenset[str]
    method: str = "GET"
    kwargs: Callable[[World], dict[str, Any]] | None = None
    # The same URL for an object of site 16: site-11 users in `allowed` must get 404.
    other_site_kwargs: Callable[[World], dict[str, Any]] | None = None
    data: Callable[[World], dict[str, Any]] | None = None
    public: bool = False
    query: str = ""
    note: str = ""
    # Roles that are in `allowed` but whose site-scoped grant does not reach site 16.
    other_site_denied: frozenset[str] = field(default_factory=lambda: SITE_ROLES)


def table_modules() -> list[Any]:
    import tests.access as package

    modules = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("table_"):
            modules.append(importlib.import_module(f"tests.access.{info.name}"))
    # The foundation table populates users and sites first.
    modules.sort(key=lambda m: (m.__name__ != "tests.access.table_foundation", m.__name__))
    return modules


def all_entries() -> list[Entry]:
    return [entry for module in table_modules() for entry in module.ENTRIES]


def build_world(role_users: dict[str, Any]) -> World:
    world = World(users=role_users)
    for module in table_modules():
        populate = getattr(module, "populate", None)
        if populate is not None:
            populate(world)
    return world
