"""The Content-Security-Policy holds in a real browser: our pages run no inline code, and a
page that did would be caught (every journey's `page` fixture asserts no refusal)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, csp_violations, login

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_pages_of_a_login_and_two_factor_set_up_break_no_policy(
    page: Any, live_server: Any, browser_users: dict[str, Any], settings: Any
) -> None:
    settings.PLATINIUM_REQUIRE_2FA = True
    login(page, live_server, "investigator")
    # The 2FA set-up page draws its QR code as inline SVG: allowed, it is not code.
    assert page.locator(".qr svg").count() == 1
    page.fill("input[name=token]", "000000")  # a wrong code: the page comes back with its error
    page.click("main form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert page.locator(".qr svg").count() == 1


def test_negative_control_an_inline_script_is_refused_and_reported(
    browser: Any, live_server: Any, browser_users: dict[str, Any]
) -> None:
    """Inject an inline script and an inline style into the served login page (the real
    response headers kept): Chromium refuses both and the collector sees it."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    refused = csp_violations(page)

    def inject(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace(
            "</body>",
            '<script>document.title = "ran"</script><p style="color:red">x</p></body>',
        )
        route.fulfill(response=response, body=body)

    page.route("**/accounts/login/", inject)
    try:
        page.goto(f"{live_server.url}/accounts/login/")
        page.wait_for_load_state("load")
        assert page.title() != "ran"  # the inline script did not run
        assert any("script" in text for text in refused), refused
        assert any("style" in text for text in refused), refused
    finally:
        context.close()
