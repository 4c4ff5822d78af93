"""platinium.lib.study_time: study dates are Europe/Paris calendar days (protocol.md §2).

Pure: no database. Around midnight in Paris and in UTC, and on both DST change nights.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from platinium.lib import study_time
from platinium.lib.study_time import STUDY_TIME_ZONE, paris_date, paris_today, study_day
from tests.architecture.write_scan import ROOT


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Winter (CET, UTC+1): 23:30Z is already 00:30 the next day in Paris.
        (datetime(2026, 1, 14, 23, 30, tzinfo=UTC), date(2026, 1, 15)),
        (datetime(2026, 1, 14, 22, 59, 59, tzinfo=UTC), date(2026, 1, 14)),
        (datetime(2026, 1, 14, 23, 0, tzinfo=UTC), date(2026, 1, 15)),  # Paris midnight
        # Just after UTC midnight it is still the same Paris day (01:00 CET).
        (datetime(2026, 1, 15, 0, 0, tzinfo=UTC), date(2026, 1, 15)),
        # Summer (CEST, UTC+2): Paris midnight is 22:00Z.
        (datetime(2026, 7, 14, 21, 59, 59, tzinfo=UTC), date(2026, 7, 14)),
        (datetime(2026, 7, 14, 22, 0, tzinfo=UTC), date(2026, 7, 15)),
        # Spring forward (2026-03-29, 01:00Z: 02:00 CET → 03:00 CEST).
        (datetime(2026, 3, 28, 22, 59, tzinfo=UTC), date(2026, 3, 28)),
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), date(2026, 3, 29)),
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), date(2026, 3, 29)),  # 01:59 CET
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), date(2026, 3, 29)),  # 03:00 CEST
        (datetime(2026, 3, 29, 21, 59, tzinfo=UTC), date(2026, 3, 29)),  # 23:59 CEST
        (datetime(2026, 3, 29, 22, 0, tzinfo=UTC), date(2026, 3, 30)),
        # Fall back (2026-10-25, 01:00Z: 03:00 CEST → 02:00 CET).
        (datetime(2026, 10, 24, 21, 59, tzinfo=UTC), date(2026, 10, 24)),
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), date(2026, 10, 25)),  # midnight CEST
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 25)),  # 02:30 CEST
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), date(2026, 10, 25)),  # 02:30 CET again
        (datetime(2026, 10, 25, 22, 59, tzinfo=UTC), date(2026, 10, 25)),  # 23:59 CET
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), date(2026, 10, 26)),
    ],
)
def test_paris_date_is_the_paris_calendar_day(instant: datetime, expected: date) -> None:
    assert paris_date(instant) == expected
    assert paris_today(instant) == expected


def test_paris_date_does_not_depend_on_the_offset_the_instant_is_given_in() -> None:
    instant = datetime(2026, 1, 14, 23, 30, tzinfo=UTC)
    for offset in (-10, -5, 0, 1, 2, 9, 14):
        shifted = instant.astimezone(timezone(timedelta(hours=offset)))
        assert paris_date(shifted) == date(2026, 1, 15)
    assert paris_date(datetime(2026, 1, 15, 0, 30, tzinfo=STUDY_TIME_ZONE)) == date(2026, 1, 15)


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        paris_date(datetime(2026, 1, 14, 23, 30))
    with pytest.raises(ValueError):
        paris_today(datetime(2026, 1, 14, 23, 30))


def test_paris_today_without_now_reads_the_clock_in_utc_not_the_server_date(monkeypatch) -> None:
    """23:30 UTC in winter: the server's UTC date says the 14th, Paris says the 15th."""

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            assert tz is UTC  # an aware reading, never the server's local wall clock
            return datetime(2026, 1, 14, 23, 30, tzinfo=UTC)

    monkeypatch.setattr(study_time, "datetime", Clock)
    assert paris_today() == date(2026, 1, 15)


def test_paris_today_ignores_the_server_time_zone() -> None:
    """A server in UTC (or in New York) still gets the Paris calendar day."""
    code = (
        "from datetime import UTC, datetime\n"
        "from platinium.lib.study_time import paris_date, paris_today\n"
        "print(paris_today() == paris_date(datetime.now(UTC)))\n"
        "print(paris_date(datetime(2026, 1, 14, 23, 30, tzinfo=UTC)))\n"
    )
    for tz in ("UTC", "America/New_York", "Pacific/Kiritimati"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={"TZ": tz, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert out == ["True", "2026-01-15"], (tz, out)


def test_study_day_counts_calendar_days_across_dst_changes() -> None:
    # 2026-03-29 has 23 hours in Paris, 2026-10-25 has 25: the count is in calendar days.
    assert study_day(date(2026, 3, 28), date(2026, 3, 30)) == 2
    assert study_day(date(2026, 10, 24), date(2026, 10, 26)) == 2
    d0 = paris_date(datetime(2026, 3, 28, 23, 30, tzinfo=UTC))  # 00:30 CET on the 29th
    assert d0 == date(2026, 3, 29)
    assert study_day(d0, paris_date(datetime(2026, 3, 29, 22, 30, tzinfo=UTC))) == 1
    assert study_day(d0, d0) == 0
    assert study_day(d0, date(2026, 3, 28)) == -1
