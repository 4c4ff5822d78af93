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

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators  # type: ignore[attr-defined]

PLACEHOLDER = -739_104_281
SECOND_PLACEHOLDER = -739_104_282
# PostgreSQL text cannot hold a NUL character: no stored value is ever equal to this.
TEXT_PLACEHOLDER = "\x00platinium-placeholder"


_DJANGO_PARAMETER = re.compile(r"%[s%]")


def server_text(sql: str) -> str:
    """Django's SQL (psycopg2 style: %s parameters, %% for a percent sign) as PostgreSQL's
    own: $1, $2… and %."""
    counter = iter(range(1, sql.count("%s") + 1))
    return _DJANGO_PARAMETER.sub(lambda m: "%" if m.group() == "%%" else f"${next(counter)}", sql)


def _is_placeholder(value: Any, placeholder: Any) -> bool:
    return type(value) is type(placeholder) and value == placeholder


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple[Any, ...]
    # (position in params, index of the bound value)
    slots: tuple[tuple[int, int], ...]
    # The prepared statement (ADR 0045), named and written once, not on every call:
    # its name, the EXECUTE that runs it and the PREPARE sent with the first EXECUTE.
    name: str
    execute_sql: str
    prepare_sql: str

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
    name = "platinium_" + hashlib.sha256(sql.encode()).hexdigest()[:20]
    execute_sql = (
        f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    )
    # psycopg2 reads %s and %% in the whole text: the PREPARE's own percent signs doubled.
    prepare_sql = f"PREPARE {name} AS {server_text(sql).replace('%', '%%')}; {execute_sql}"
    return Compiled(sql, tuple(params), slots, name, execute_sql, prepare_sql)


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
    annotations: tuple[tuple[str, int], ...] = ()

    def rows(self, *values: Any) -> list[list[Any]]:
        """The rows, each value converted by the same converters the ORM applies."""
        connection = connections[self.db]
        params = self.compiled.bind(*values)
        with connection.cursor() as cursor:
            _run(connection, cursor, self.compiled, params)
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
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            out.append(obj)
        return out


@dataclass
class _Prepared:
    """The statements prepared on one driver connection (a server session): `known` are
    there; `unsure` were sent with a first EXECUTE that failed (the PREPARE may or may not
    have been kept), so the server is asked before preparing them again."""

    raw: Any
    known: set[str]
    unsure: set[str]


def _registry(connection: Any) -> _Prepared:
    registry = getattr(connection, "_platinium_prepared", None)
    if registry is None or registry.raw is not connection.connection:
        registry = _Prepared(connection.connection, set(), set())
        connection._platinium_prepared = registry
    return registry


def _run(connection: Any, cursor: Any, compiled: Compiled, params: list[Any]) -> None:
    """Run `compiled` as an EXECUTE of a statement PREPAREd once per database connection
    (PostgreSQL then skips parsing and planning; ADR 0045); the PREPARE goes with the first
    EXECUTE, in the same round trip."""
    name = compiled.name
    registry = _registry(connection)
    if name in registry.unsure:
        cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [name])
        if cursor.fetchone() is not None:
            registry.known.add(name)
        registry.unsure.discard(name)
    if name in registry.known:
        cursor.execute(compiled.execute_sql, params)
        return
    try:
        cursor.execute(compiled.prepare_sql, params)
    except Exception:
        registry.unsure.add(name)
        raise
    registry.known.add(name)


def execute(cursor: Any, compiled: Compiled, *values: Any) -> None:
    """Run `compiled` with `values` bound on a Django cursor, as a prepared statement."""
    _run(cursor.db, cursor, compiled, compiled.bind(*values))


def compile_query(
    queryset: QuerySet[Any], *, expected: int = 1, placeholders: Sequence[Any] = (PLACEHOLDER,)
) -> CompiledQuery:
    """Compile `queryset` once: a model query (with `select_related` and annotations) or a
    values_list(). Prefetches are not supported (refused)."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    instances = queryset._iterable_class is ModelIterable  # else values_list(): rows
    if getattr(queryset, "_prefetch_related_lookups", ()):
        raise ImproperlyConfigured("compiled SQL: prefetches are not read back")
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(fields).items()
    )
    klass_info = compiler.klass_info
    model = init_list = None
    columns = (0, 0)
    populators: list[Any] = []
    if instances and klass_info is not None:
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
        annotations=tuple(compiler.annotation_col_map.items()) if instances else (),
    )
