"""SQL the ORM compiles once per process, with one value bound per request.

A page that reads one participant through many subqueries or a long UNION spends more time
in Django building and compiling the SQL (tens of ms) than PostgreSQL spends running it.
`compile_for` compiles a QuerySet built around PLACEHOLDER (an id no row has) and remembers
where that value sits in the parameters; `bind` puts the real id there. The text and every
other parameter are the ORM's own (ADR 0038).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

PLACEHOLDER = -739_104_281


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple[Any, ...]
    positions: tuple[int, ...]

    def bind(self, value: Any) -> list[Any]:
        bound = list(self.params)
        for position in self.positions:
            bound[position] = value
        return bound


def compile_for(queryset: QuerySet[Any], *, expected: int = 1) -> Compiled:
    """The SQL of `queryset` (built with PLACEHOLDER where the id goes, `expected` times)."""
    sql, params = queryset.query.sql_with_params()
    positions = tuple(i for i, value in enumerate(params) if value == PLACEHOLDER)
    if len(positions) != expected:
        raise ImproperlyConfigured(
            f"compiled SQL: {len(positions)} placeholders where {expected} were expected"
        )
    return Compiled(sql, tuple(params), positions)
