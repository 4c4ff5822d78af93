"""One participant's casebook state for the participant page: SDV counts per plan entry, the
casebook's row versions and the newest signature, in one SELECT.

The ORM takes about 30 ms to build and compile its ~36 subqueries, and PostgreSQL about 2 ms
to run them, so the SQL is compiled once per process (platinium/lib/compiled.py) and only
the participant's id is bound per request (ADR 0038). Nothing in the SQL depends on the
data; a change to CASEBOOK or SDV_PLAN takes effect when the process restarts.
"""

from __future__ import annotations

import functools
from typing import Any

from monitoring import sdv, signing
from participants.models import Participant
from platinium.lib.compiled import PLACEHOLDER, CompiledQuery, compile_query


def annotated_query() -> Any:
    """The QuerySet whose SQL is compiled once: the ORM form of `casebook_state`."""
    return sdv.with_sdv_counts(
        signing.with_casebook_state(Participant.objects.filter(pk=PLACEHOLDER))
    )


@functools.cache
def _compiled() -> CompiledQuery:
    return compile_query(annotated_query())


def casebook_state(participant: Participant) -> Participant:
    """The participant row annotated as `with_sdv_counts(with_casebook_state(…))` would,
    for `sdv.progress_of` and `signing.signature_status_of`."""
    # A SELECT the ORM compiled itself, prepared; only the participant's id is bound.
    found: Participant = _compiled().instances(participant.pk)[0]
    return found
