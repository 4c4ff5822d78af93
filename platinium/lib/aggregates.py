"""SQL aggregates Django does not ship."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, DurationField, Field


class Median(Aggregate):
    """PostgreSQL `percentile_cont(0.5) WITHIN GROUP (ORDER BY …)`: the median of a number
    or an interval (a `DurationField` expression gives a `timedelta`), `FILTER` allowed."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False

    def __init__(self, expression: Any, output_field: Field | None = None, **extra: Any) -> None:
        super().__init__(expression, output_field=output_field or DurationField(), **extra)
