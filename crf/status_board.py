"""The record status dashboard (issue #11): participants × scheduled forms, one cell each.

The cells speak the participant page's vocabulary (crf.timeline.STATUS_LABELS), computed by
the same schedule and matching (`crf.timeline.build_timeline` over `load_courses`), so the
dashboard and the participant page never disagree. A fixed number of queries whatever the
number of participants: the page of participants, their courses (crf.timeline.load_courses,
one query per kind of row, never one per participant) and their unresolved queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crf import timeline
from crf.definitions import by_schedule_code
from crf.open_queries import shown_queries
from crf.schedule import VISITS, VisitKind
from participants.models import Lock, Participant

if TYPE_CHECKING:
    from accounts.types import User

# The columns: every scheduled visit of crf/schedule.py (the repeating logs are never
# expected, so they have no column).
COLUMNS: tuple[str, ...] = tuple(v.code for v in VISITS if v.kind is not VisitKind.LOG)

# When a column holds several forms (the daily forms, the ICU stays), the cell shows the
# one that most needs attention, in this order.
_ATTENTION = (
    "overdue",
    "queried",
    "due",
    "in_progress",
    "not_due",
    "complete",
    "verified",
    "signed",
    "locked",
)

# The statuses a person can filter the dashboard on (the timeline's vocabulary).
FILTERS: tuple[str, ...] = ("overdue", "due", "queried", "in_progress", "complete", "locked")


@dataclass
class Cell:
    code: str
    status: str = ""  # "" = not expected (yet or any more)
    count: int = 0  # forms in the cell (daily forms, ICU stays)

    @property
    def label(self) -> Any:
        if not self.status:
            return _("Not expected")
        return timeline.STATUS_LABELS[self.status]


@dataclass
class Row:
    participant: Any
    randomized: bool
    today_day: int | None = None
    cells: list[Cell] = field(default_factory=list)

    def has(self, status: str) -> bool:
        return any(c.status == status for c in self.cells)


def _worst(statuses: list[str]) -> str:
    return min(statuses, key=_ATTENTION.index)


def cells_of(course: timeline.Course, today: date, queried: set[tuple[str, int]]) -> Row:
    """One participant's row: each column's status from the participant page's timeline;
    a stored form with an unresolved query shows as queried."""
    line = timeline.build_timeline(course, today)
    row = Row(participant=course.participant, randomized=line is not None)
    if line is None:
        return row
    row.today_day = line.today_day
    by_column: dict[str, list[str]] = {code: [] for code in COLUMNS}
    for item in line.items:
        if item.code not in by_column:
            continue
        status = item.status
        if item.row_id is not None and status in {"in_progress", "complete"}:
            label = by_schedule_code(item.code).model._meta.label_lower
            if (label, item.row_id) in queried:
                status = "queried"
        by_column[item.code].append(status)
    row.cells = [
        Cell(code, _worst(found) if found else "", len(found)) for code, found in by_column.items()
    ]
    return row


def unresolved_queries(participant_ids: list[int]) -> set[tuple[str, int]]:
    """(model label, row id) of the form rows with an unresolved query (one query); the
    day-10 biology queries are left out, as everywhere they are shown (crf.open_queries)."""
    if not participant_ids:
        return set()
    return set(
        shown_queries()
        .filter(participant__in=participant_ids)
        .order_by()
        .values_list("model_label", "object_id")
        .distinct()
    )


def locked_participants(participant_ids: list[int]) -> set[int] | None:
    """The participants whose casebook is locked, or None when the database is (one query)."""
    levels = Lock.objects.current().filter(
        Q(level=Lock.Level.DATABASE)
        | Q(level=Lock.Level.CASEBOOK, participant_id__in=participant_ids)
    )
    found = list(levels.values_list("level", "participant_id"))
    if any(level == Lock.Level.DATABASE for level, _pid in found):
        return None
    return {pid for _level, pid in found}


def rows_for(people: list[Any], user: User, today: date) -> list[Row]:
    """The rows of `people` (participants already scoped and ordered), in their order."""
    ids = [p.pk for p in people]
    if not ids:
        return []
    courses = {
        c.participant.pk: c
        for c in timeline.load_courses(Participant.objects.filter(pk__in=ids), user)
    }
    queried = unresolved_queries(ids)
    locked = locked_participants(ids)
    rows = []
    for person in people:
        course = courses.get(person.pk)
        if course is None:
            rows.append(Row(participant=person, randomized=False))
            continue
        course.participant = person
        course.locked = locked is None or person.pk in locked
        rows.append(cells_of(course, today, queried))
    return rows
