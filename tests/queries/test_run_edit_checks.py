"""`manage.py run_edit_checks`: re-runs the soft checks over saved data, idempotently."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from crf.models import DataQuery, QueryStatus
from crf.services import save_daily
from tests.queries.conftest import HOT, daily_row

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("run_edit_checks", *args, stdout=out)
    return out.getvalue()


def _without_checks(monkeypatch: Any) -> None:
    """Data saved before the check existed: the save opens no system query."""
    monkeypatch.setattr("crf.services.core.sync_system_queries", lambda *a, **k: ([], []))


def test_it_opens_missing_system_queries_once(p11, role_users, monkeypatch):
    with monkeypatch.context() as m:
        _without_checks(m)
        daily_row(p11, role_users["coordinator"], temperature_max_c=HOT)
    assert DataQuery.objects.count() == 0
    first = _run()
    assert "1 opened, 0 closed" in first and "temperature_max_c" in first
    assert "0 opened, 0 closed" in _run()  # idempotent
    assert DataQuery.objects.get().status == QueryStatus.OPEN


def test_it_closes_queries_the_data_no_longer_trip(p11, role_users, monkeypatch):
    row = daily_row(p11, role_users["coordinator"], temperature_max_c=HOT)
    with monkeypatch.context() as m:
        _without_checks(m)
        save_daily(
            p11,
            day_date=row.day_date,
            by=role_users["coordinator"],
            data={"temperature_max_c": Decimal("38")},
            instance=row,
            expected_version=row.version,
            reason="typo",
        )
    assert "0 opened, 1 closed" in _run()
    assert "0 opened, 0 closed" in _run()
    query = DataQuery.objects.get()
    assert query.status == QueryStatus.CLOSED
    assert query.messages.last().kind == "auto_closed"


def test_site_and_check_options_limit_the_run(p11, p16, role_users, monkeypatch):
    with monkeypatch.context() as m:
        _without_checks(m)
        daily_row(p11, role_users["coordinator"], temperature_max_c=HOT)
        daily_row(p16, role_users["investigator_nantes"], temperature_max_c=HOT)
    assert "0 opened" in _run("--check", "baseline")
    assert "1 opened" in _run("--site", "16", "--check", "dailyfollowup.temperature_max_c")
    assert DataQuery.objects.get().participant == p16
    assert "1 opened" in _run()  # site 11's, the only one left


def test_a_locked_casebook_is_skipped(p11, role_users, monkeypatch):
    from participants import locks

    with monkeypatch.context() as m:
        _without_checks(m)
        daily_row(p11, role_users["coordinator"], temperature_max_c=HOT)
    locks.lock_casebook(p11, by=role_users["data_manager"], reason="review")
    out = _run()
    assert f"skipped {p11.code}" in out and DataQuery.objects.count() == 0


def test_the_nightly_task_runs_the_same_checks_and_is_scheduled(p11, role_users, monkeypatch):
    from crf.tasks import run_edit_checks_task
    from platinium.celery import app

    with monkeypatch.context() as m:
        _without_checks(m)
        daily_row(p11, role_users["coordinator"], temperature_max_c=HOT)
    assert run_edit_checks_task.apply().get() == {"opened": 1, "closed": 0}
    assert run_edit_checks_task.apply().get() == {"opened": 0, "closed": 0}
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "crf.tasks.run_edit_checks_task" in schedule
