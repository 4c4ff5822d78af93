"""Flowsheet scenario of `make bench` (issue #11; docs/decisions/0033-daily-flowsheet.md).

A site-11 participant randomized 45 days ago with every one of its 46 ICU days saved; as
the site-11 coordinator: open the flowsheet (its last week, the default), open its first
week, and save one day (service, rules, audit, pghistory). Latency in ms and the SQL
statements of one request of each, counted: the machine may be shared, the counts are not.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.common import expect_status, measure
from platinium.lib.study_time import paris_today

GOAL_P95_MS = 100
DAYS = 46


def _stay() -> Any:
    from crf.services import save_daily
    from sites.models import Site
    from tests.crf.helpers import daily_data, paris
    from tests.factories import make_user_with_role
    from tests.randomization.factories import make_randomized_participant

    coordinator = make_user_with_role("bench-flow-coordinator", "coordinator", "11")
    d0 = paris_today(timezone.now()) - timedelta(days=DAYS - 1)
    participant = make_randomized_participant(
        Site.objects.get(code="11"), randomized_at=paris(d0, 10)
    )
    for n in range(DAYS):
        save_daily(participant, day_date=d0 + timedelta(days=n), by=coordinator, data=daily_data())
    return participant, coordinator


def _queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        action(0)
    return len(captured.captured_queries)


def run(results: dict[str, Any]) -> None:
    from crf.definitions import by_model
    from crf.forms import form_class
    from crf.grid import _input_value
    from crf.models import DailyFollowUp

    names = form_class(by_model(DailyFollowUp)).base_fields
    participant, coordinator = _stay()
    client = Client()
    client.force_login(coordinator)
    grid = reverse("crf:daily_grid", args=[participant.code])
    last = DailyFollowUp.objects.filter(participant=participant).order_by("day_date").last()
    url = reverse("crf:daily_grid_row", args=[participant.code, last.day_date.isoformat()])

    def open_last_week(_i: int) -> None:
        expect_status(client.get(grid), 200)

    def open_first_week(_i: int) -> None:
        expect_status(client.get(grid + "?week=1"), 200)

    def save_day(index: int) -> None:
        # Alternate the temperature so every save really changes the day (a reason is
        # required once the form is complete).
        current = DailyFollowUp.objects.get(pk=last.pk)
        data = {n: _input_value(getattr(current, n)) for n in names if hasattr(current, n)}
        data.update(
            temperature_max_c="38.1" if index % 2 else "37.9",
            expected_version=current.version,
            reason_for_change="benchmark",
        )
        expect_status(client.post(url, data), 302)

    scenarios = {
        "open_46_day_stay": (open_last_week, {}),
        "open_46_day_stay_first_week": (open_first_week, {}),
        "save_one_day": (save_day, {"iterations": 100, "warmup": 10}),
    }
    out: dict[str, Any] = {"days": DAYS, "goal_p95_ms": GOAL_P95_MS}
    for name, (action, options) in scenarios.items():
        out[name] = measure(action, **options)
        out[name]["sql_statements"] = _queries(action)
        out[name]["meets_goal"] = out[name]["p95_ms"] < GOAL_P95_MS
    results["flowsheet"] = out
