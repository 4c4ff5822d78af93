"""The pages-alone phase of `make load` (bench/loadtest/pages.py), brief: a 5-participant
trial served by gunicorn, each page measured alone in 2 short rounds. The figures have
their shape (p50/p99, ratios to the login page of the same round, medians, goal marks);
a page answered by a redirect to the login page fails the phase (negative control), and
the goal marks do say "not met" for figures over the goals (negative control)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from bench.loadtest.pages import PAGES, Page, Plan, judge, measure_pages, pages_table, percentile
from bench.loadtest.population import build
from bench.loadtest.scenario import MAIN_PAGES
from tests.gunicorn import database_url, gunicorn_serving

BRIEF = Plan(requests=12, connections=2, seconds=5.0, rounds=2, warmup=1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_each_page_alone_is_measured_and_a_redirect_to_login_fails_the_phase(
    tmp_path: Path,
) -> None:
    build(5)
    connection.close()  # gunicorn serves the database from now on
    url = database_url(connection.settings_dict)
    with gunicorn_serving(url, tmp_path / "gunicorn.log") as (base, _process):
        phase = measure_pages(base, url, plan=BRIEF)
        # Negative control: the audit log asked without a session is a 302 to the login
        # page, not a fast page.
        refused = measure_pages(
            base,
            url,
            plan=Plan(requests=4, rounds=1, warmup=0),
            pages=(PAGES[0], Page("audit log", "anonymous", "/audit/")),
        )
    print(pages_table(phase))

    assert not phase["failed"], phase["failures"]
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
    assert list(phase["pages"]) == [p.name for p in PAGES]
    assert set(MAIN_PAGES) | {"login page", "participant list"} == set(phase["pages"])
    assert phase["participants_cycled"] >= 1
    assert len(phase["rounds"]) == 2
    for figures in phase["rounds"]:
        assert figures["login page"]["ratio_p50_to_login"] == 1.0
        for p in figures.values():
            assert 0 < p["requests"] <= BRIEF.requests
            assert p["errors"] == 0
            assert 0 < p["p50_ms"] <= p["p99_ms"]
    for name, p in phase["pages"].items():
        assert p["p50_ms"] <= p["p99_ms"]
        assert p["ratio_p50_to_login"] > 0 and p["ratio_p99_to_login"] > 0
        assert (p["met"] is None) == (name == "login page")
    assert "participant page" in pages_table(phase)

    assert refused["failed"]
    assert refused["pages"]["audit log"]["errors"] > 0
    assert refused["pages"]["audit log"]["requests"] == 0
    assert any("HTTP 302 /accounts/login/" in f for f in refused["failures"]), refused
    assert "FAILED" in pages_table(refused)


def test_the_goal_marks_follow_issue_13() -> None:
    fast = {"p50_ms": 20.0, "p99_ms": 90.0, "ratio_p99_to_login": 3.0}
    assert judge("audit log", fast)["met"] is True
    assert judge("daily grid", fast)["met"] is True
    assert judge("login page", fast)["met"] is None
    # Negative controls: each goal missed alone is "not met".
    assert judge("audit log", {**fast, "p99_ms": 150.0})["met"] is False
    assert judge("audit log", {**fast, "ratio_p99_to_login": 5.5})["met"] is False
    assert judge("audit log", {**fast, "p50_ms": 70.0})["met"] is True  # no p50 goal
    assert judge("participant page", {**fast, "p50_ms": 60.0})["met"] is False
    assert judge("daily grid", {**fast, "p99_ms": None})["met"] is False
    assert percentile([float(x) for x in range(1, 201)], 99) == 198.0
    assert percentile([float(x) for x in range(1, 201)], 50) == 100.0
