"""bench/exports.py (issue #10): its baseline copies real tables and its casebook picks the
participant with the most CRF rows. The timed export itself forks a worker that needs
committed data, so it runs in `make bench`, not here."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from bench import exports as bench_exports
from crf.definitions import FORMS

pytestmark = pytest.mark.django_db


def test_baseline_copies_every_table_the_export_reads() -> None:
    tables = bench_exports.exported_tables()
    existing = set(connection.introspection.table_names())
    assert tables and set(tables) <= existing
    assert "participants_participant" in tables
    # The history event tables too: the audit-trail dataset reads them.
    assert any(name.endswith("event") for name in tables)
    figures = bench_exports._copy_baseline(tables)
    assert figures["tables"] == len(tables) and figures["csv_mb"] > 0


def test_casebook_participant_has_the_most_crf_rows(small_trial: dict[str, Any]) -> None:
    participant, rows = bench_exports.fullest_participant()
    counts: dict[int, int] = {}
    for definition in FORMS:
        for row in definition.model.objects.values_list("participant", flat=True):
            counts[row] = counts.get(row, 0) + 1
    assert rows == counts[participant.pk] == max(counts.values())


def _size(participants: int, seconds: float, peak_mb: float) -> dict[str, Any]:
    export = {"seconds": seconds, "peak_mb": peak_mb}
    return {"participants": participants, "csv_blinded": export, "odm_blinded": export}


def test_scaling_verdict_calls_ten_times_the_data_in_ten_times_the_time_linear_and_flat() -> None:
    from bench.export_scaling import verdict

    judged = verdict({"326": _size(326, 10.0, 160.0), "3260": _size(3260, 104.0, 170.0)})
    assert judged["csv_blinded"] == {
        "seconds_per_participant_ratio": 1.04,
        "peak_mb_growth": 10.0,
        "linear": True,
        "flat": True,
    }


def test_scaling_verdict_catches_quadratic_time_and_growing_memory() -> None:
    """Negative control: an export whose time grows with the square of the data and whose
    memory grows with it must be called neither linear nor flat."""
    from bench.export_scaling import verdict

    judged = verdict({"3260": _size(3260, 1000.0, 1600.0), "326": _size(326, 10.0, 160.0)})
    assert judged["odm_blinded"]["linear"] is False
    assert judged["odm_blinded"]["flat"] is False
