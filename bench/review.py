"""Data review scenarios of `make bench` (issue #9; called by bench/run.py).

On the 326-participant synthetic trial (demo.trial, built here unless bench/demo.py already
did in this run), review activity is added through the real services: a monitor's query on
one daily value of every site-11 participant (half of them answered by the coordinator), a
data manager's query on every other participant, the critical data of two thirds of the
site-11 participants verified, half of their casebooks signed and a quarter then corrected
(so "to re-verify" and "to re-sign" are not empty), half of the deviations reviewed.

Then every review worklist and dashboard is measured as the role that uses it, with its SQL
query count, and the nightly edit-check run (the beat task) is timed over the whole trial.
Figures in ms and as ratios to the trivial view measured in this run.

BENCH_REVIEW_PARTICIPANTS (default 326) builds a smaller trial while developing.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import reverse

from bench.common import expect_status, measure
from bench.crf import trial

GOAL_P95_MS = 100
GOAL_NIGHTLY_SECONDS = 60
ITERATIONS = 100


def _review_activity(users: dict[str, Any]) -> dict[str, int]:
    """Queries, verifications, signatures, corrections and deviation reviews, all through
    the services a person's click calls."""
    from crf.models import DailyFollowUp, ProtocolDeviation
    from crf.services import save_daily
    from crf.services.deviations import review_deviation
    from monitoring import sdv, signing
    from monitoring.queries import answer_query, raise_query
    from monitoring.services import Refused, sign_casebook, verify_rows
    from participants.models import Participant

    counts = {"queries": 0, "answered": 0, "verified": 0, "signed": 0, "corrected": 0}
    participants = Participant.objects.filter(allocation__isnull=False).select_related("site")
    for index, participant in enumerate(participants.order_by("site__code", "code")):
        row = DailyFollowUp.objects.current().filter(participant=participant).first()
        if row is None:
            continue
        at_11 = participant.site.code == "11"
        if at_11 and index % 3:
            keys = [
                (status.form.label, status.obj.pk, status.obj.version)
                for status in sdv.rows_of(participant)
            ]
            if keys:
                verify_rows(participant, rows=keys, by=users["monitor"])
                counts["verified"] += 1
        # Signed before the person's query is raised (open queries refuse a signature).
        if at_11 and index % 2 == 0:
            try:
                digest = signing.casebook_digest(participant)
                sign_casebook(participant, by=users["investigator"], seen_digest=digest)
            except Refused:  # a system query of the edit checks is still open
                pass
            else:
                counts["signed"] += 1
                if index % 4 == 0:
                    save_daily(
                        participant,
                        day_date=row.day_date,
                        by=users["coordinator"],
                        data={"temperature_max_c": Decimal("37.2")},
                        instance=row,
                        expected_version=row.version,
                        reason="re-read on the chart",
                    )
                    row.refresh_from_db()
                    counts["corrected"] += 1
        asker = users["monitor"] if at_11 else users["data_manager"]
        query = raise_query(row, field="map_mmhg", text="Please check the MAP.", by=asker)
        counts["queries"] += 1
        if at_11 and index % 2:
            answer_query(query, text="Checked on the chart.", by=users["coordinator"])
            counts["answered"] += 1
    counts["deviations"] = 0
    for index, deviation in enumerate(ProtocolDeviation.objects.current().order_by("pk")):
        if index % 2 == 0:
            review_deviation(
                deviation, classification="MINOR", comment="Reviewed.", by=users["data_manager"]
            )
            counts["deviations"] += 1
    return counts


def _page(client: Client, url: str) -> dict[str, Any]:
    expect_status(client.get(url), 200)  # session and caches warm
    executed: list[str] = []

    def count(execute: Any, sql: str, *args: Any) -> Any:
        # A wrapper, not CaptureQueriesContext: the request_started signal empties the
        # connection's query log in the middle of the request.
        executed.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        expect_status(client.get(url), 200)
    timing = measure(lambda _i: expect_status(client.get(url), 200), iterations=ITERATIONS)
    return {**timing, "sql_queries": len(executed)}


def _nightly() -> dict[str, Any]:
    """The beat task as the worker runs it, twice: the first run over freshly built data,
    the second the steady state of every following night (nothing new to open or close)."""
    from crf.tasks import run_edit_checks_task

    out: dict[str, Any] = {}
    for name in ("first_run", "second_run"):
        started = time.monotonic()
        report = run_edit_checks_task()
        out[name] = {"seconds": round(time.monotonic() - started, 1), **report}
    out["goal_seconds"] = GOAL_NIGHTLY_SECONDS
    out["meets_goal"] = all(
        out[k]["seconds"] < GOAL_NIGHTLY_SECONDS for k in ("first_run", "second_run")
    )
    return out


def run(results: dict[str, Any]) -> None:
    from participants.models import Participant
    from tests.factories import DEMO_ROLE_USERS, make_user_with_role

    size = int(os.environ.get("BENCH_REVIEW_PARTICIPANTS", "326"))
    seconds = trial(results, size)
    users = {
        key: make_user_with_role(f"bench-review-{key}", role, site)
        for key, (role, site) in DEMO_ROLE_USERS.items()
        if key in ("investigator", "coordinator", "monitor", "data_manager")
    }
    started = time.monotonic()
    activity = _review_activity(users)
    activity_seconds = round(time.monotonic() - started, 1)
    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)

    trivial = measure(
        lambda _i: expect_status(clients["monitor"].get("/bench/trivial"), 200),
        iterations=ITERATIONS,
    )
    queries = reverse("monitoring:query_list")
    pages = {
        # Each role's default worklist: to answer (site), to review (monitor), unresolved (DM).
        "query_list_investigator": ("investigator", queries),
        "query_list_coordinator": ("coordinator", queries),
        "query_list_monitor": ("monitor", queries),
        "query_list_data_manager": ("data_manager", queries),
        "query_list_data_manager_all": ("data_manager", f"{queries}?status=all"),
        "sdv_progress_monitor": ("monitor", reverse("monitoring:sdv_progress")),
        "sdv_progress_monitor_to_verify": (
            "monitor",
            reverse("monitoring:sdv_progress") + "?show=to_verify",
        ),
        "resign_list_investigator": ("investigator", reverse("monitoring:resign_list")),
        "dashboard_monitor": ("monitor", reverse("monitoring:dashboard")),
        "dashboard_data_manager": ("data_manager", reverse("monitoring:dashboard")),
        "deviation_list_data_manager": ("data_manager", reverse("monitoring:deviation_list")),
    }
    scenarios = {name: _page(clients[role], url) for name, (role, url) in pages.items()}
    nightly = _nightly()
    base, base95 = trivial["median_ms"], trivial["p95_ms"]
    results["review"] = {
        "trial": {
            "participants": Participant.objects.filter(allocation__isnull=False).count(),
            "build_seconds": seconds,
            "review_activity": activity,
            "review_activity_seconds": activity_seconds,
        },
        "trivial_view": trivial,
        **scenarios,
        "nightly_edit_checks": nightly,
        "ratio_to_trivial_median": {
            k: round(v["median_ms"] / base, 2) for k, v in scenarios.items()
        },
        "ratio_to_trivial_p95": {k: round(v["p95_ms"] / base95, 2) for k, v in scenarios.items()},
        "goal_p95_ms": GOAL_P95_MS,
        "meets_goal": {k: v["p95_ms"] < GOAL_P95_MS for k, v in scenarios.items()},
    }
