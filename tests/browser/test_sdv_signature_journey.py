"""In Chromium: the monitor verifies a participant's critical data, the investigator signs the
casebook with their password, a coordinator's correction then shows "to re-verify" to the
monitor and "to re-sign" to the investigator."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse

from crf.models import StudyDrugAdministration
from crf.services import save_injection
from monitoring.models import CasebookSignature, Verification
from sites.models import Site
from tests.browser.conftest import PASSWORD, login
from tests.sdv.helpers import with_critical_rows


def _english(context: Any, live_server: Any) -> None:
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def test_monitor_verifies_investigator_signs_and_a_correction_shows_everywhere(
    page, browser, live_server, browser_users
):
    site = Site.objects.get(code="11")
    participant = with_critical_rows(site, browser_users["coordinator"])
    base, code = live_server.url, participant.code
    _english(page.context, live_server)

    login(page, live_server, "monitor")
    page.goto(base + reverse("monitoring:sdv_progress"))
    assert f"{code}: 0/11 critical data verified" in page.inner_text("main")
    page.click(f"a[href='{reverse('monitoring:sdv_participant', args=[code])}']")
    page.click("#verify-all button")
    page.wait_for_load_state("domcontentloaded")
    assert f"{code}: 11/11 critical data verified" in page.inner_text("#sdv-progress")
    assert Verification.objects.filter(participant=participant).count() == 2

    investigator = browser.new_context(viewport={"width": 1366, "height": 768})
    _english(investigator, live_server)
    inv = investigator.new_page()
    login(inv, live_server, "investigator")
    inv.goto(base + reverse("crf:participant", args=[code]))
    assert "not signed" in inv.inner_text("#signature-status")
    inv.click("#sign-link")
    assert "I confirm that the data of this casebook" in inv.inner_text("#signature-meaning")
    inv.fill("input[name=password]", PASSWORD)
    inv.click("#sign-form button[type=submit]")
    inv.wait_for_load_state("domcontentloaded")
    assert "signed on" in inv.inner_text("#signature-status")
    assert CasebookSignature.objects.filter(participant=participant).count() == 1

    row = StudyDrugAdministration.objects.get(participant=participant, number=1)
    # A correction by the site (the edit form itself is tested in tests/sdv).
    save_injection(
        participant,
        number=1,
        by=browser_users["coordinator"],
        data={"volume_ml": Decimal("0.40")},
        instance=row,
        expected_version=row.version,
        reason="volume re-read on the chart",
    )

    inv.goto(base + reverse("crf:participant", args=[code]))
    assert "to re-sign" in inv.inner_text("#signature-status")
    inv.goto(base + reverse("monitoring:resign_list"))
    assert code in inv.inner_text("main")
    investigator.close()

    page.goto(base + reverse("monitoring:sdv_participant", args=[code]))
    assert "To re-verify" in page.inner_text("main")
    assert f"{code}: 6/11 critical data verified" in page.inner_text("#sdv-progress")
