"""Truth-table entries of the review dashboard (issue #9, ADR 0021): every role holding
VIEW_DASHBOARDS and clinical access, each in its own scope; the pharmacist (no clinical
data) is refused with a 403."""

from __future__ import annotations

from tests.access.harness import Entry

DASHBOARD_READERS = frozenset(
    {"investigator", "coordinator", "monitor", "data_manager", "statistician"}
)

ENTRIES = [
    Entry("monitoring:dashboard", DASHBOARD_READERS, note="figures of the user's sites"),
]
