"""Re-run the soft edit checks over the saved data (`manage.py run_edit_checks`): a check
added or changed after data entry opens its system queries, data that no longer trip a
check close theirs. Idempotent: a second run opens and closes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from audit.services import record
from crf.definitions import FORMS, CrfDefinition
from crf.facts import participant_facts
from crf.models import DataQuery, QueryStatus
from crf.rules.common import Severity
from crf.services.core import ParticipantLocked, lock_participant, sync_system_queries, values_of
from participants.models import Participant


def _system_queries_of(participant_id: int) -> dict[tuple[str, int], list[DataQuery]]:
    """The participant's system queries by row, read once (read after the participant's
    lock, so a concurrent save cannot add one unseen)."""
    by_row: dict[tuple[str, int], list[DataQuery]] = {}
    queries = (
        DataQuery.objects.system()
        .filter(participant_id=participant_id)
        .exclude(status=QueryStatus.CANCELLED)
        .order_by("pk")
    )
    for query in queries:
        by_row.setdefault((query.model_label, query.object_id), []).append(query)
    return by_row


@dataclass
class RunReport:
    opened: list[DataQuery] = field(default_factory=list)
    closed: list[DataQuery] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # participants under a lock


def _rows(site: str | None) -> Iterator[tuple[CrfDefinition, Any]]:
    for definition in FORMS:
        qs = definition.model.objects.current().select_related("participant__site").order_by("pk")
        if site:
            qs = qs.filter(participant__site__code=site)
        for row in qs.iterator():
            yield definition, row


def run_edit_checks(*, site: str | None = None, check: str = "") -> RunReport:
    """`check`: "<form>" or "<form>.<field>" (model name, e.g. "dailyfollowup.temperature")
    limits the run to that form, or that field's checks."""
    form, _dot, field_name = check.partition(".")

    def in_scope(name: str, msgid: str) -> bool:
        return not field_name or name == field_name

    report = RunReport()
    participants: dict[int, list[tuple[CrfDefinition, Any]]] = {}
    for definition, row in _rows(site):
        if form and definition.model._meta.model_name != form:
            continue
        participants.setdefault(row.participant_id, []).append((definition, row))
    for participant_id, rows in participants.items():
        try:
            with transaction.atomic():
                participant = lock_participant(Participant.objects.get(pk=participant_id))
                facts = participant_facts(participant)
                existing = _system_queries_of(participant_id)
                for definition, row in rows:
                    rules = definition.rules
                    if rules is None:  # no form of its own: nothing to re-run
                        continue
                    findings = rules.check(
                        values_of(row), facts, row, **rules.context(participant, row, {})
                    )
                    warnings = [
                        f
                        for f in findings
                        if f.severity == Severity.SOFT and in_scope(f.field, f.msgid)
                    ]
                    opened, closed = sync_system_queries(
                        row,
                        warnings,
                        by=None,
                        close=definition.rerun_closes_queries,
                        scope=in_scope if field_name else None,
                        existing=existing.get((row._meta.label_lower, row.pk), []),
                    )
                    if opened or closed:
                        record(
                            "crf.edit_checks.rerun",
                            target=row,
                            by=None,
                            data={
                                "opened": [q.pk for q in opened],
                                "closed": [q.pk for q in closed],
                            },
                        )
                    report.opened += opened
                    report.closed += closed
        except ParticipantLocked:
            report.skipped.append(rows[0][1].participant.code)
    return report
