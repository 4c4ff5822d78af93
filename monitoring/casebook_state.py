"""One participant's casebook state for the participant page: SDV counts per plan entry, the
casebook's row versions and the newest signature, in one SELECT.

The ORM takes about 30 ms to build and compile its ~36 subqueries, and PostgreSQL about 2 ms
to run them, so the SQL is compiled once per process with a placeholder participant and only
the participant's id is bound per request (ADR 0038, docs/decisions). Nothing in the SQL
depends on the data; a change to CASEBOOK or SDV_PLAN takes effect when the process restarts.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from monitoring import sdv, signing
from participants.models import Participant

# An id no participant has: the one parameter of the compiled SQL to replace.
_PLACEHOLDER = -739_104_281


def annotated_query() -> Any:
    """The QuerySet whose SQL is compiled once: the ORM form of `casebook_state`."""
    return sdv.with_sdv_counts(
        signing.with_casebook_state(Participant.objects.filter(pk=_PLACEHOLDER))
    )


@functools.cache
def _compiled() -> tuple[str, tuple[Any, ...], int]:
    sql, params = annotated_query().query.sql_with_params()
    found = [i for i, value in enumerate(params) if value == _PLACEHOLDER]
    if len(found) != 1:
        raise ImproperlyConfigured(f"casebook state: {len(found)} placeholders, not one")
    return sql, tuple(params), found[0]


def casebook_state(participant: Participant) -> Participant:
    """The participant row annotated as `with_sdv_counts(with_casebook_state(…))` would,
    for `sdv.progress_of` and `signing.signature_status_of`."""
    sql, params, at = _compiled()
    bound = list(params)
    bound[at] = participant.pk
    # A SELECT the ORM compiled itself; only the participant's id is bound.
    return next(iter(Participant.objects.raw(sql, bound)))
