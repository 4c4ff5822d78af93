"""A coordinator randomizes an eligible, consented participant in Chromium and sees a blinded
confirmation (randomization number and kit code, never an arm); the site pharmacist then
dispenses by scanning — a wrong kit is refused with nothing written, the allocated kit passes —
and the Nantes pharmacist cannot even open that participant's dispensing page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from tests.browser.conftest import DESKTOP, PASSWORD, login
from tests.randomization.pdf import pdf_text

pytestmark = pytest.mark.browser

# What an unblinded page would show: a labelled arm letter or a product name.
ARM_LABELLED = re.compile(r"\b(arm|bras|group|groupe|treatment|traitement)\s*:?\s*[AB]\b", re.I)
PRODUCTS = ("placebo", "interferon", "interféron", "imukin")


def _english(context: Any, live_server: Any) -> None:
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def _assert_no_arm(text: str) -> None:
    assert not ARM_LABELLED.search(text), ARM_LABELLED.search(text)
    lowered = text.lower()
    assert not [p for p in PRODUCTS if p in lowered], text


@pytest.fixture
def ready(browser_users: dict[str, Any]) -> dict[str, Any]:
    """Site 11: an enrolled, eligible, consented participant and both arms in stock."""
    from accounts.roles import Role
    from randomization.models import Kit
    from sites.models import Site
    from tests.eligibility.factories import make_enrolled_participant
    from tests.factories import make_user_with_role
    from tests.randomization.factories import load_slots, make_kits

    site11, site16 = Site.objects.get(code="11"), Site.objects.get(code="16")
    participant = make_enrolled_participant(site11)
    load_slots([site11, site16])
    make_kits(site11, 4)
    nantes = make_user_with_role("pharmacist_nantes", Role.PHARMACIST, "16")
    nantes.set_password(PASSWORD)
    nantes.save()
    assert Kit.objects.filter(site=site11, status=Kit.Status.AVAILABLE).count() == 8
    return {"participant": participant, "site": site11}


def test_coordinator_randomizes_blinded_and_the_pharmacist_dispenses_by_scanning(
    page, browser, live_server, ready
) -> None:
    from randomization.models import Allocation, Kit, KitEvent

    participant = ready["participant"]
    code, base = participant.code, live_server.url
    _english(page.context, live_server)

    # --- The coordinator: participant list → participant page → Randomize → confirm.
    login(page, live_server, "coordinator")
    page.goto(f"{base}{reverse('participants:list')}")
    page.click(f"#participant-list a:text('{code}')")
    page.wait_for_url(f"{base}{reverse('crf:participant', args=[code])}")
    page.click("#randomize-link")
    page.wait_for_url(f"{base}{reverse('randomization:randomize', args=[code])}")
    assert page.locator("#randomization-problems").count() == 0, page.inner_text("main")
    page.check("#randomize-form input[name=confirm]")
    page.click("#randomize-form button[type=submit]")
    page.wait_for_url(f"{base}{reverse('randomization:confirmation', args=[code])}")

    allocation = Allocation.objects.select_related("slot").get(participant=participant)
    kit = Kit.objects.get(participant=participant)
    assert kit.status == Kit.Status.ALLOCATED
    confirmation = page.inner_text("#randomization-confirmation")
    assert allocation.slot.rand_no in confirmation
    assert kit.code in confirmation
    assert "has been randomized" in page.inner_text("main")
    _assert_no_arm(page.inner_text("body"))
    _assert_no_arm(page.content())

    # The confirmation PDF link answers a PDF (with the same blinded content).
    href = page.locator(
        f"a[href='{reverse('randomization:confirmation_pdf', args=[code])}']"
    ).get_attribute("href")
    pdf = page.request.get(f"{base}{href}")
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    text = pdf_text(pdf.body())
    assert allocation.slot.rand_no in text and kit.code in text
    _assert_no_arm(text)

    # --- The site pharmacist, in a fresh browser: list → detail → "Dispense the allocated kit".
    pharmacy = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    pharmacy.set_default_timeout(10_000)
    _english(pharmacy, live_server)
    try:
        pharmacist = pharmacy.new_page()
        login(pharmacist, live_server, "pharmacist")
        pharmacist.goto(f"{base}{reverse('participants:list')}")
        pharmacist.click(f"#participant-list a:text('{code}')")
        pharmacist.wait_for_url(f"{base}{reverse('participants:detail', args=[code])}")
        pharmacist.click(f"a[href='{reverse('randomization:dispense', args=[code])}']")
        dispense_url = f"{base}{reverse('randomization:dispense', args=[code])}"
        pharmacist.wait_for_url(dispense_url)
        assert kit.code in pharmacist.inner_text("main")

        # A wrong kit (another kit of the site's stock), scanned: refused, nothing written.
        wrong = (
            Kit.objects.filter(site=ready["site"], status=Kit.Status.AVAILABLE)
            .order_by("code")
            .first()
        )
        events_before = KitEvent.objects.count()
        scan = pharmacist.locator("#dispense-form input[name=kit_code]")
        scan.fill(wrong.code)
        scan.press("Enter")
        pharmacist.wait_for_selector("#dispense-error")
        error = pharmacist.inner_text("#dispense-error")
        assert "nothing recorded" in error and wrong.code in error
        assert "is not the kit allocated to" in error
        _assert_no_arm(pharmacist.inner_text("body"))
        wrong.refresh_from_db()
        kit.refresh_from_db()
        assert wrong.status == Kit.Status.AVAILABLE and wrong.participant_id is None
        assert kit.status == Kit.Status.ALLOCATED
        assert KitEvent.objects.count() == events_before

        # The allocated kit, scanned: dispensed, with its event in the log.
        scan = pharmacist.locator("#dispense-form input[name=kit_code]")
        scan.fill(kit.code)
        scan.press("Enter")
        pharmacist.wait_for_url(f"{base}{reverse('randomization:pharmacy_home')}")
        assert f"Kit {kit.code} dispensed to {code}" in pharmacist.inner_text("main")
        kit.refresh_from_db()
        assert kit.status == Kit.Status.DISPENSED
        assert KitEvent.objects.filter(
            kit=kit,
            from_status=Kit.Status.ALLOCATED,
            to_status=Kit.Status.DISPENSED,
            participant=participant,
            by__username="pharmacist",
        ).exists()
        assert KitEvent.objects.count() == events_before + 1
    finally:
        pharmacy.close()

    # --- The Nantes pharmacist: that participant's dispensing page does not exist for them.
    nantes = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    nantes.set_default_timeout(10_000)
    try:
        other = nantes.new_page()
        login(other, live_server, "pharmacist_nantes")
        assert other.url == f"{base}/"  # logged in, not bounced back to the login page
        response = other.goto(dispense_url)
        assert response is not None and response.status == 404
        assert kit.code not in other.content()
    finally:
        nantes.close()
