"""SQL the ORM compiles once per process, with the changing values bound per call.

A page that reads one participant through many subqueries or a long UNION spends more time
in Django building and compiling the SQL (tens of ms) than PostgreSQL spends running it,
and a save reads the same few rows (the participant locked, the locks in force, the
participant's facts) on every form. `compile_for` compiles a QuerySet built around
placeholders (values no row has: PLACEHOLDER, SECOND_PLACEHOLDER, TEXT_PLACEHOLDER) and
remembers where each sits in the parameters; `bind` puts the real values there. The text
and every other parameter are the ORM's own (ADR 0038, ADR 0045).

`compile_query` keeps, besides the SQL, what the ORM needs to turn the rows back into
what the QuerySet would have returned: converted values, or model instances with their
`select_related` rows (Django's own populators).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

PLACEHOLDER = -739_104_281
SECOND_PLACEHOLDER = -739_104_282
# PostgreSQL text cannot hold a NUL character: no stored value is ever equal to this.
TEXT_PLACEHOLDER = "\x00platinium-placeholder"


def _is_placeholder(value: Any, placeholder: Any) -> bool:
    return type(value) is type(placeholder) and value == placeholder


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple[Any, ...]
    # (position in params, index of the bound value)
    slots: tuple[tuple[int, int], ...]

    def bind(self, *values: Any) -> list[Any]:
        """The parameters with the placeholders' values, in `placeholders` order."""
        bound = list(self.params)
        for position, index in self.slots:
            bound[position] = values[index]
        return bound


def _compiled(
    sql: str, params: Sequence[Any], placeholders: Sequence[Any], expected: int
) -> Compiled:
    slots = tuple(
        (position, index)
        for position, value in enumerate(params)
        for index, placeholder in enumerate(placeholders)
        if _is_placeholder(value, placeholder)
    )
    if len(slots) != expected:
        raise ImproperlyConfigured(
            f"compiled SQL: {len(slots)} placeholders where {expected} were expected"
        )
    return Compiled(sql, tuple(params), slots)


def compile_for(
    queryset: QuerySet[Any], *, expected: int = 1, placeholders: Sequence[Any] = (PLACEHOLDER,)
) -> Compiled:
    """The SQL of `queryset` (built with `placeholders` where the values go, `expected`
    parameters in all)."""
    sql, params = queryset.query.sql_with_params()
    return _compiled(sql, params, placeholders, expected)


@dataclass(frozen=True)
class CompiledQuery:
    """A QuerySet's SQL and how to read its rows, as the ORM would (`compile_query`)."""

    compiled: Compiled
    db: str
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    model: type[Model] | None  # None: a values_list() query
    init_list: tuple[str, ...]
    model_columns: tuple[int, int]
    related_populators: tuple[Any, ...]

    def rows(self, *values: Any) -> list[list[Any]]:
        """The rows, each value converted by the same converters the ORM applies."""
        connection = connections[self.db]
        with connection.cursor() as cursor:
            cursor.execute(self.compiled.sql, self.compiled.bind(*values))
            found = [list(row) for row in cursor.fetchall()]
        for row in found:
            for position, functions, expression in self.converters:
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
        return found

    def instances(self, *values: Any) -> list[Any]:
        """The model instances, with their `select_related` rows, as iterating would."""
        if self.model is None:
            raise ImproperlyConfigured("compiled SQL of a values() query has no instances")
        start, end = self.model_columns
        out = []
        for row in self.rows(*values):
            obj = self.model.from_db(self.db, list(self.init_list), row[start:end])
            for populator in self.related_populators:
                populator.populate(row, obj)
            out.append(obj)
        return out


def compile_query(
    queryset: QuerySet[Any], *, expected: int = 1, placeholders: Sequence[Any] = (PLACEHOLDER,)
) -> CompiledQuery:
    """Compile `queryset` once: a model query (with `select_related`) or a values_list().
    Annotations on model queries, prefetches and extra() are not supported (refused)."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    if getattr(queryset, "_prefetch_related_lookups", ()) or (
        compiler.annotation_col_map and compiler.klass_info
    ):
        raise ImproperlyConfigured("compiled SQL: annotations and prefetches are not read back")
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(fields).items()
    )
    klass_info = compiler.klass_info
    model = init_list = None
    columns = (0, 0)
    populators: list[Any] = []
    if klass_info is not None:  # a model query (values_list() has none)
        model = klass_info["model"]
        select_fields = klass_info["select_fields"]
        columns = (select_fields[0], select_fields[-1] + 1)
        init_list = [column[0].target.attname for column in compiler.select[slice(*columns)]]
        populators = get_related_populators(klass_info, compiler.select, queryset.db)
    return CompiledQuery(
        compiled=_compiled(sql, params, placeholders, expected),
        db=queryset.db,
        converters=converters,
        model=model,
        init_list=tuple(init_list or ()),
        model_columns=columns,
        related_populators=tuple(populators),
    )
