"""Record status dashboard scenarios of `make bench` (issue #11, ADR 0035; called by
bench/run.py).

On the 326-participant synthetic trial (demo.trial, built here unless bench/demo.py already
did in this run), the dashboard is measured as the roles that use it, with its SQL query
count: the data manager across every site (a page of 50), the data manager filtering on a
status (every participant's row computed, then paged), one site's investigator. Goal
(issue #11): ≤ 20 SQL queries and p95 < 150 ms. Figures in ms and as ratios to the trivial
view measured in this run.

BENCH_STATUS_PARTICIPANTS (default 326) builds a smaller trial while developing.
"""

from __future__ import annotations

import os
from typing import Any

from django.test import Client
from django.urls import reverse

from bench.common import expect_status, measure
from bench.crf import trial
from bench.review import _page

GOAL_P95_MS = 150
GOAL_SQL_QUERIES = 20
ITERATIONS = 100


def run(results: dict[str, Any]) -> None:
    from participants.models import Participant
    from tests.factories import DEMO_ROLE_USERS, make_user_with_role

    size = int(os.environ.get("BENCH_STATUS_PARTICIPANTS", "326"))
    seconds = trial(results, size)
    clients = {}
    for key, (role, site) in DEMO_ROLE_USERS.items():
        if key in ("investigator", "data_manager"):
            clients[key] = Client()
            clients[key].force_login(make_user_with_role(f"bench-status-{key}", role, site))
    trivial = measure(
        lambda _i: expect_status(clients["investigator"].get("/bench/trivial"), 200),
        iterations=ITERATIONS,
    )
    url = reverse("crf:status_dashboard")
    pages = {
        "status_dashboard_data_manager_all_sites": ("data_manager", url),
        "status_dashboard_data_manager_page_4": ("data_manager", f"{url}?page=4"),
        "status_dashboard_data_manager_overdue": ("data_manager", f"{url}?status=overdue"),
        "status_dashboard_investigator": ("investigator", url),
    }
    scenarios = {name: _page(clients[role], link) for name, (role, link) in pages.items()}
    base95 = trivial["p95_ms"]
    results["status_dashboard"] = {
        "trial": {
            "participants": Participant.objects.filter(allocation__isnull=False).count(),
            "build_seconds": seconds,
        },
        "trivial_view": trivial,
        **scenarios,
        "ratio_to_trivial_p95": {k: round(v["p95_ms"] / base95, 2) for k, v in scenarios.items()},
        "goal_p95_ms": GOAL_P95_MS,
        "goal_sql_queries": GOAL_SQL_QUERIES,
        "meets_goal": {
            k: v["p95_ms"] < GOAL_P95_MS and v["sql_queries"] <= GOAL_SQL_QUERIES
            for k, v in scenarios.items()
        },
    }
