"""What a site has to enter today (home page, issue #11; ADR 0023): the forms of the
visit schedule that are overdue and the injections due today, read from the same timeline
as the participant page (crf/schedule.py windows, overlaid with the stored forms), for
every randomized participant of the given participants in a fixed number of queries.

Counts of forms only: nothing here depends on the arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from crf import timeline
from crf.models import AdverseEvent, DataQuery
from crf.models.queries import AWAITING_ANSWER
from platinium.lib.study_time import paris_today

INJECTIONS_DUE = "injections_due"
OVERDUE = "overdue"
KINDS = (INJECTIONS_DUE, OVERDUE)


@dataclass(frozen=True)
class Entry:
    participant: Any
    item: timeline.Item


def _matches(kind: str, item: timeline.Item) -> bool:
    if kind == INJECTIONS_DUE:
        return item.code.startswith("INJ") and item.status == "due"
    return item.status == "overdue"


def forms_to_enter(participants: QuerySet[Any], user: Any) -> dict[str, list[Entry]]:
    """kind → the expected forms of that kind, participant by participant (code order)."""
    today = paris_today(timezone.now())
    found: dict[str, list[Entry]] = {kind: [] for kind in KINDS}
    for course in timeline.load_courses(participants, user):
        for item in timeline.forms_still_expected(course, today):
            for kind in KINDS:
                if _matches(kind, item):
                    found[kind].append(Entry(course.participant, item))
    return found


def saes_to_report(user: Any, scope: Q) -> int:
    """Serious AEs whose report has not left for vigilance (`scope` on participant__site)."""
    return AdverseEvent.objects.visible_to(user).filter(scope).to_report().count()


def queries_to_answer(user: Any, scope: Q) -> int:
    """Open or reopened queries waiting for the site's answer (`scope` on participant__site)."""
    return DataQuery.objects.visible_to(user).filter(scope, status__in=AWAITING_ANSWER).count()
