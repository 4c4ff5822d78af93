"""The pharmacist receives a shipment in Chromium (issue #11): each scan (the scanner types
the code and presses Enter) answers in place — no page reload, the counts move, the field
is ready for the next kit — and finishing with a kit not scanned asks for a confirmation
that names it before it is recorded as lost."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_scans_answer_in_place_and_a_missing_kit_is_confirmed_before_it_is_lost(
    page: Any, live_server: Any, browser_users: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    from randomization.models import Kit, Shipment
    from sites.models import Site
    from tests.randomization.factories import make_kits

    site = Site.objects.get(code="11")
    shipment = Shipment.objects.create(
        number="SH-11-B1",
        site=site,
        reason=Shipment.Reason.RESUPPLY,
        kits_per_arm=2,
        status=Shipment.Status.IN_TRANSIT,
        dispatched_at=timezone.now(),
    )
    kits = sorted(
        make_kits(site, 2, status=Kit.Status.IN_TRANSIT, shipment=shipment), key=lambda k: k.code
    )
    login(page, live_server, "pharmacist")
    page.goto(
        live_server.url
        + reverse("randomization:shipment_detail", kwargs={"shipment_id": shipment.pk})
    )
    # A mark on the window: a reload would wipe it.
    page.evaluate("window.notReloaded = true")
    scanned = page.locator("[data-count=scanned]")
    for n, kit in enumerate(kits[:3], start=1):
        # As the pharmacist, scan once the field has the focus: htmx focuses the swapped
        # form when it has taken it over (before that, Enter would post the page itself).
        page.wait_for_function("document.activeElement?.name === 'kit_code'")
        field = page.locator("#scan-form input[name=kit_code]")
        field.fill(kit.code)
        field.press("Enter")
        expect(scanned).to_have_text(str(n))
        assert kit.code in page.locator("#scan-message").inner_text()
        # The swapped form has the focus: the scanner's next code goes into it.
        assert page.evaluate("document.activeElement.name") == "kit_code"
    assert page.evaluate("window.notReloaded") is True
    assert scanned.inner_text().strip() == "3"
    assert page.locator("[data-count=not-scanned]").inner_text().strip() == "1"

    # Finish with the logger OK: the page asks first, naming the missing kit.
    page.check("#close-form input[name=temperature][value=ok]")
    page.click("#close-form button")
    page.wait_for_selector("#confirm-missing")
    assert kits[3].code in page.locator("#confirm-missing").inner_text()
    assert Kit.objects.get(pk=kits[3].pk).status == Kit.Status.IN_TRANSIT
    page.check("#close-form input[name=missing_confirmed]")
    page.click("#close-form button")
    expect(page.locator("#close-form")).to_have_count(0)
    assert Kit.objects.get(pk=kits[3].pk).status == Kit.Status.LOST
    assert page.locator("[data-count=scanned]").inner_text().strip() == "3"
    assert page.locator("[data-count=not-scanned]").inner_text().strip() == "1"
