"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

CI (.ci/run) sets PLATINIUM_BROWSER_REQUIRED=true: a missing Chromium then fails the run
instead of silently skipping the journeys.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import restore_migration_data

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by the
# tests themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "browser-journey-password"
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("PLATINIUM_BROWSER_REQUIRED", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


def csp_violations(page: Any) -> list[str]:
    """Collect what Chromium refused under the Content-Security-Policy (it reports each
    refusal on the console); every journey then proves its pages need no inline code."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) per test, laptop-sized. A page that breaks the
    Content-Security-Policy fails the test that visited it."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused = csp_violations(page)
    try:
        yield page
    finally:
        context.close()
    assert refused == [], f"refused by the Content-Security-Policy: {refused}"


@pytest.fixture(scope="session")
def _restore_after_flush(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        restore_migration_data()


@pytest.fixture
def registry_sites(
    _restore_after_flush: None, transactional_db: Any, django_db_serialized_rollback: None
) -> None:
    """Serialized rollback, like the other transactional tests (concurrency, Celery worker):
    a plain transactional flush re-creates content types through post_migrate, and the next
    serialized test then fails to restore its snapshot (duplicate content type, no sites)."""
    restore_migration_data()


@pytest.fixture
def browser_users(registry_sites: None) -> dict[str, Any]:
    """One user per role (tests.factories.DEMO_ROLE_USERS keys), password PASSWORD."""
    from tests.factories import DEMO_ROLE_USERS, make_user_with_role

    users = {}
    for key, (role, site) in DEMO_ROLE_USERS.items():
        user = make_user_with_role(key, role, site)
        user.set_password(PASSWORD)
        user.save()
        users[key] = user
    return users


def login(page: Any, live_server: Any, username: str, password: str = PASSWORD) -> None:
    """Log in through the real login page, as a person would."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
