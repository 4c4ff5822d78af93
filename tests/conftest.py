"""Shared fixtures: real PostgreSQL (DATABASE_URL or the embedded server), one user per role."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from tests.factories import DEMO_ROLE_USERS, make_user_with_role, restore_migration_data


@pytest.fixture(autouse=True, scope="session")
def _test_flush_may_empty_the_audit_trail() -> Any:
    """Transactional tests end with Django's flush, a TRUNCATE of every table, which the
    audit tables refuse (audit.triggers). The test superuser lifts every trigger for that
    one statement with `session_replication_role = replica`, a setting the application
    role may not use (tests/audit/test_app_role_attack.py proves it)."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: Any, sql_list: list[str]) -> None:
        original(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    BaseDatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _migration_data(request: pytest.FixtureRequest) -> None:
    """Every database test starts with the registry sites, even after a transactional
    test flushed the tables (the data migration does not run again)."""
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if not uses_db:
        return
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    request.getfixturevalue("transactional_db" if transactional else "db")
    restore_migration_data()


@pytest.fixture
def site11(db: Any):  # type: ignore[no-untyped-def]
    from sites.models import Site

    return Site.objects.get(code="11")


@pytest.fixture
def site16(db: Any):  # type: ignore[no-untyped-def]
    from sites.models import Site

    return Site.objects.get(code="16")


@pytest.fixture
def role_users(db: Any) -> dict[str, Any]:
    """One user per role at site 11 (global roles: all sites), plus an investigator at 16."""
    return {
        key: make_user_with_role(key, role, site) for key, (role, site) in DEMO_ROLE_USERS.items()
    }


@pytest.fixture
def client_for(role_users: dict[str, Any]) -> Callable[[str], Client]:
    """A logged-in test client for a role key (`investigator`, `monitor`, …)."""

    def make(key: str) -> Client:
        client = Client()
        client.force_login(role_users[key])
        return client

    return make


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis for the real-worker tests: PLATINIUM_REDIS_URL, else a private redis-server
    started for this test session (tests/real_services.py)."""
    from tests.real_services import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """CI (PLATINIUM_NO_SKIPS=true) installs every real part: a skipped test is a failure,
    so a missing browser, worker or tool cannot pass unnoticed."""
    if os.environ.get("PLATINIUM_NO_SKIPS", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"PLATINIUM_NO_SKIPS=true: {len(skipped)} test(s) skipped", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language (French), whatever an earlier test of the
    same worker activated: a request in English leaves English active in the thread."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield
