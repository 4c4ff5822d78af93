"""'Forgot password' in Chromium: from the login page to a login with the new password
(issue #11, docs/decisions/0029)."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from tests.browser.conftest import login

NEW_PASSWORD = "Une-phrase-secrete-toute-neuve"


def test_a_user_who_forgot_the_password_chooses_a_new_one(
    page: Any, live_server: Any, browser_users: dict[str, Any]
) -> None:
    user = browser_users["coordinator"]
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    page.fill("input[name=email]", user.email)
    page.click("main form button[type=submit]")
    assert page.locator("#reset-sent").is_visible()

    (message,) = mail.outbox
    path = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body)
    assert path, message.body
    page.goto(f"{live_server.url}{path.group(1)}")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("main form button[type=submit]")
    assert page.locator("#reset-complete").is_visible()

    login(page, live_server, user.username, NEW_PASSWORD)
    assert page.url == f"{live_server.url}/"
    # The link is spent: opening it again says so.
    page.goto(f"{live_server.url}{path.group(1)}")
    assert page.locator("#reset-link-invalid").is_visible()
