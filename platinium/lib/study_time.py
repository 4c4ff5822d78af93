"""Study time: the Europe/Paris calendar of the trial (protocol.md §2).

Timestamps are stored in UTC; a study date (today, D0, the day of an event) is the
Europe/Paris calendar date of an instant, never the server's date. Pure Python (zoneinfo,
no Django) so that the pure calculation modules (crf.schedule, eligibility.case) use it too.

The only module that turns an instant into a study date:
tests/architecture/test_study_time.py refuses `date.today()`, the server's date and any
other Paris-date helper in product code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

STUDY_TIME_ZONE: Final = ZoneInfo("Europe/Paris")


def paris_date(moment: datetime) -> date:
    """The Europe/Paris calendar date of an aware instant; a naive one is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("study dates need an aware datetime (stored in UTC)")
    return moment.astimezone(STUDY_TIME_ZONE).date()


def paris_today(now: datetime | None = None) -> date:
    """Study "today": the Paris calendar date of ``now``.

    Django code passes ``timezone.now()`` (the demo's simulated clock replaces it); without
    an argument the system clock is read in UTC, never the server's local date.
    """
    return paris_date(now if now is not None else datetime.now(UTC))


def study_day(d0: date, on: date) -> int:
    """Study day of a calendar date: (date − D0) in days (crf-spec.md §0.1)."""
    return (on - d0).days


class StudyDayOrigin(StrEnum):
    """crf-spec.md §0.1: which calendar date is numbered day 0."""

    # D0 = the Paris date of randomisation, first injection on D1 (the proposed default).
    D0_IS_RANDOMISATION_DAY = "D0_IS_RANDOMISATION_DAY"
    # Alternative used by some French protocols: D1 = the day of randomisation.
    D1_IS_RANDOMISATION_DAY = "D1_IS_RANDOMISATION_DAY"


# [INF] Sponsor open question 1 (crf-spec.md §8). Changing this setting renumbers every
# study day through d0_from_randomized_at(); stored timestamps never change.
STUDY_DAY_ORIGIN = StudyDayOrigin.D0_IS_RANDOMISATION_DAY


def d0_from_randomized_at(
    randomized_at: datetime, origin: StudyDayOrigin = STUDY_DAY_ORIGIN
) -> date:
    """The calendar date numbered day 0, from the aware randomisation timestamp (T_R).

    Conversion goes through the Paris wall clock, so a DST change never shifts the day.
    """
    randomisation_date = paris_date(randomized_at)
    if origin is StudyDayOrigin.D1_IS_RANDOMISATION_DAY:
        return randomisation_date - timedelta(days=1)
    return randomisation_date
