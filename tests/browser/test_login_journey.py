"""Each role logs in through the real login page in Chromium and lands on its home page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from accounts.roles import Role
from tests.access.harness import ROLE_KEYS
from tests.browser.conftest import TABLET, login
from tests.factories import DEMO_ROLE_USERS

# A menu link each role must see on its home page (URL names of the foundation).
EXPECTED_LINK = {
    "investigator": "participants:list",
    "coordinator": "participants:list",
    "pharmacist": "participants:list",
    "monitor": "participants:list",
    "data_manager": "audit:log",
    "statistician": "participants:list",
    "randomization_manager": "randomization:allocation_lists",  # once that app ships it
    "admin": "accounts:user_list",
}
# Links a role must NOT see (blinding / separation of duties).
FORBIDDEN_LINK = {
    "randomization_manager": "participants:list",
    "admin": "participants:list",
    "investigator": "accounts:user_list",
    "monitor": "audit:log",
}


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@pytest.mark.parametrize("role", ROLE_KEYS)
def test_each_role_logs_in_and_sees_its_home(role: str, page, live_server, browser_users) -> None:
    login(page, live_server, role)
    assert page.url == f"{live_server.url}/"
    assert page.locator("html").get_attribute("lang") == "fr"
    with translation.override("fr"):
        label = str(Role(DEMO_ROLE_USERS[role][0]).label)
    assert label in page.locator("#home-roles").inner_text()
    expected = _url(EXPECTED_LINK[role])
    if expected:
        assert page.locator(f'#mainnav a[href="{expected}"]').first.is_visible()
    forbidden = _url(FORBIDDEN_LINK.get(role, ""))
    if forbidden:
        assert page.locator(f'a[href="{forbidden}"]').count() == 0
    assert page.locator("body").get_attribute("data-session-minutes") == "30"


def test_admin_sees_users_and_opens_the_user_list(page, live_server, browser_users) -> None:
    login(page, live_server, "admin")
    page.click(f'#mainnav a[href="{reverse("accounts:user_list")}"]')
    page.wait_for_url(f"{live_server.url}{reverse('accounts:user_list')}")
    assert page.locator("table").inner_text().count("investigator") >= 1


def test_wrong_password_shows_the_message_in_the_browser(page, live_server, browser_users) -> None:
    login(page, live_server, "monitor", "not-the-password")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    assert page.locator("main .alert, main .invalid-feedback, main .errorlist").count() >= 1


def test_tablet_navbar_collapses_and_opens(page, live_server, browser_users) -> None:
    page.set_viewport_size(TABLET)
    login(page, live_server, "investigator")
    link = page.locator(f'#mainnav a[href="{reverse("participants:list")}"]')
    toggler = page.locator("button.navbar-toggler")
    assert toggler.is_visible()
    assert not link.is_visible()
    toggler.click()
    link.wait_for(state="visible")
    page.wait_for_selector("#mainnav.collapse.show")  # the opening transition has ended
    page.screenshot(path="/tmp/platinium-nav-open-768.png")
    link.click()
    page.wait_for_url(f"{live_server.url}{reverse('participants:list')}")
    assert page.locator("h1").first.is_visible()
    # Nothing overflows the tablet width horizontally.
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]


def test_home_screenshot_for_layout_review(page, live_server, browser_users, tmp_path: Any) -> None:
    login(page, live_server, "monitor")
    page.screenshot(path="/tmp/platinium-home-1366.png", full_page=True)
    page.set_viewport_size(TABLET)
    page.screenshot(path="/tmp/platinium-home-768.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
