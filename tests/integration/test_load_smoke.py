"""The load scenario of `make load` (bench/loadtest), small and short: a 5-participant
trial served by gunicorn, the site users, monitor and data manager of its sites for 20 s,
then each page alone very briefly (test_load_pages.py tests that phase). No error, every
acknowledged save in the database with its audit trail; and the lost-write check does
report a save that is not there (negative control)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection

from bench.loadtest.check import lost_writes
from bench.loadtest.pages import Plan
from bench.loadtest.population import build, participant_sites
from bench.loadtest.scenario import run_load, table
from tests.gunicorn import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _url() -> str:
    return database_url(connection.settings_dict)


def test_a_short_trial_day_loses_no_write_and_fails_no_request(tmp_path: Path) -> None:
    build(5)
    connection.close()  # the served database is written by gunicorn from now on
    result = run_load(
        _url(),
        duration=20,
        work=tmp_path,
        wait="0.5,1.5",
        sites=participant_sites(),
        pages_alone=Plan(requests=4, rounds=1, warmup=0),
    )
    print(table(result))

    assert result["errors"] == 0, result["failures"]
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
    assert result["lost_writes"] == 0, result["lost_write_details"]
    assert result["saves"].get("daily", 0) >= 3, result["saves"]
    assert result["saves"].get("screening", 0) >= 1, result["saves"]
    for page in ("login page", "daily grid", "participant page"):
        assert result["pages"][page]["requests"] > 0
    assert not result["pages_alone"]["failed"], result["pages_alone"]["failures"]
    assert result["pages_alone"]["pages"]["daily grid"]["requests"] > 0

    # Negative control: a save acknowledged but stored with another value, one without its
    # audit event, one that never reached the database: each is reported.
    acks = _events(tmp_path)
    daily = next(a for a in acks if a["kind"] == "daily")
    screening = next(a for a in acks if a["kind"] == "screening")
    forged = [
        {**daily, "value": "35.1"},
        {**daily, "reason": "a reason nobody gave"},
        {**screening, "pk": 10**9},
    ]
    problems = lost_writes(forged, _url())
    assert len(problems) >= 3, problems
    assert any("never stored" in p for p in problems)
    assert any("no audit event" in p for p in problems)
    assert any("no such screening" in p for p in problems)
    assert lost_writes([daily, screening], _url()) == []


def _events(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
