"""Issue #9's "Done when" journey in Chromium, step by step: a monitor raises a query on a
daily SOFA value, the Limoges coordinator answers it with a correction, the monitor closes
it and verifies the participant's critical data; a value then changes again and the
verification visibly resets; a soft edit check opens a system query that the correction
auto-closes; the investigator signs the casebook and a later correction puts it on the
"to re-sign" list; a Nantes investigator sees none of Limoges' queries; the data manager
reviews the participant's deviation on the deviation review page.

Daily values are not in the SDV plan (monitoring/sdv_plan.py: risk-based, ADR 0031), so
the reset is shown on a critical value of the same casebook (the injection time)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.urls import reverse

from crf.models import DailyFollowUp, DataQuery, QueryOrigin, QueryStatus
from crf.models import StudyDrugAdministration as Injection
from tests.browser.conftest import DESKTOP, PASSWORD, login
from tests.crf.helpers import d0_of, daily_data


def _as(browser: Any, live_server: Any, username: str) -> Any:
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    login(page, live_server, username)
    return page


def _states(page: Any) -> set[str]:
    return set(re.findall(r'data-state="([^"]+)"', page.inner_html("main")))


def test_the_data_review_journey_of_issue_9(browser_users, live_server, browser):
    from crf.services import save_daily, save_injection, save_protocol_deviation
    from sites.models import Site
    from tests.deviations.helpers import deviation_data
    from tests.sdv.helpers import with_critical_rows

    base, users = live_server.url, browser_users
    participant = with_critical_rows(Site.objects.get(code="11"), users["coordinator"])
    code = participant.code
    row = save_daily(
        participant,
        day_date=d0_of(participant) + timedelta(days=1),
        by=users["coordinator"],
        data=daily_data(map_mmhg=65),
    ).obj

    # The monitor queries the lowest MAP of the day (the cardiovascular SOFA component).
    monitor = _as(browser, live_server, "monitor")
    monitor.goto(f"{base}{reverse('crf:daily_grid', args=[code])}")
    monitor.click(f"a[href$='/daily/{row.pk}/']")
    monitor.click("#field-map_mmhg a[href*='/monitoring/queries/raise/']")
    monitor.fill("#raise-form textarea[name=text]", "MAP 65? The chart says 62.")
    monitor.click("#raise-form button[type=submit]")
    monitor.wait_for_selector("#query-thread")
    query = DataQuery.objects.get(origin=QueryOrigin.MONITOR)
    assert (query.field, query.day, query.value_when_raised) == ("map_mmhg", row.day_date, "65")

    # The Limoges coordinator answers from the worklist with a correction.
    coordinator = _as(browser, live_server, "coordinator")
    coordinator.goto(f"{base}{reverse('monitoring:query_list')}")
    coordinator.click(f"tr[data-query='{query.pk}'] a")
    coordinator.fill("#answer-form textarea[name=text]", "Transcription error, corrected.")
    coordinator.check("#answer-form input[name=correct]")
    coordinator.fill("#answer-form input[name=corrected_value]", "62")
    coordinator.click("#answer-form button[type=submit]")
    coordinator.wait_for_selector("#query-thread [data-kind=answered]")
    assert DailyFollowUp.objects.get(pk=row.pk).map_mmhg == 62

    # The monitor closes it and verifies the casebook's critical data.
    monitor.goto(f"{base}{reverse('monitoring:query_list')}")
    monitor.click(f"tr[data-query='{query.pk}'] a")
    monitor.click("#close-form button[type=submit]")
    monitor.wait_for_selector("#query-thread [data-kind=closed]")
    query.refresh_from_db()
    assert query.status == QueryStatus.CLOSED
    monitor.goto(f"{base}{reverse('monitoring:sdv_participant', args=[code])}")
    monitor.click("#verify-all button")
    monitor.wait_for_load_state("domcontentloaded")
    assert _states(monitor) == {"verified"}

    # A value changes again: the verification visibly resets.
    injection = Injection.objects.get(participant=participant, number=1)
    save_injection(
        participant,
        number=1,
        by=users["coordinator"],
        data={"given_at": injection.given_at + timedelta(hours=1)},
        instance=injection,
        expected_version=injection.version,
        reason="time re-read on the chart",
    )
    monitor.reload()
    assert "to_reverify" in _states(monitor)

    # A soft edit check opens a system query; the correction closes it by itself.
    row.refresh_from_db()
    row = save_daily(
        participant,
        day_date=row.day_date,
        by=users["coordinator"],
        data={"temperature_max_c": Decimal("41.5")},
        instance=row,
        expected_version=row.version,
        reason="chart re-read",
    ).obj
    system = DataQuery.objects.get(
        origin=QueryOrigin.SYSTEM, status=QueryStatus.OPEN, field="temperature_max_c"
    )
    coordinator.goto(f"{base}{reverse('monitoring:query_list')}")
    assert coordinator.locator(f"tr[data-query='{system.pk}']").count() == 1
    save_daily(
        participant,
        day_date=row.day_date,
        by=users["coordinator"],
        data={"temperature_max_c": Decimal("39.0")},
        instance=row,
        expected_version=row.version,
        reason="typing error: 39.0",
    )
    coordinator.goto(f"{base}{reverse('monitoring:query_detail', kwargs={'pk': system.pk})}")
    coordinator.wait_for_selector("#query-thread [data-kind=auto_closed]")
    coordinator.goto(f"{base}{reverse('monitoring:query_list')}")
    assert coordinator.locator(f"tr[data-query='{system.pk}']").count() == 0

    # The investigator signs; a later correction puts the casebook on "to re-sign".
    investigator = _as(browser, live_server, "investigator")
    investigator.goto(f"{base}{reverse('crf:participant', args=[code])}")
    investigator.click("#sign-link")
    investigator.fill("input[name=password]", PASSWORD)
    investigator.click("#sign-form button[type=submit]")
    investigator.wait_for_load_state("domcontentloaded")
    investigator.goto(f"{base}{reverse('monitoring:resign_list')}")
    assert code not in investigator.inner_text("main")
    row.refresh_from_db()
    save_daily(
        participant,
        day_date=row.day_date,
        by=users["coordinator"],
        data={"urine_output_ml": 1400},
        instance=row,
        expected_version=row.version,
        reason="fluid balance sheet re-read",
    )
    investigator.reload()
    assert code in investigator.inner_text("main")

    # Nantes sees none of Limoges' queries, not even by their address.
    nantes = _as(browser, live_server, "investigator_nantes")
    nantes.goto(f"{base}{reverse('monitoring:query_list')}?status=all")
    assert nantes.locator("tr[data-query]").count() == 0
    for pk in (query.pk, system.pk):
        detail = nantes.goto(f"{base}{reverse('monitoring:query_detail', kwargs={'pk': pk})}")
        assert detail.status == 404

    # The data manager reviews the participant's deviation on the deviation review page.
    deviation = save_protocol_deviation(
        participant, by=users["investigator"], data=deviation_data()
    ).obj
    manager = _as(browser, live_server, "data_manager")
    manager.goto(f"{base}/monitoring/deviations/")
    line = f"#deviation-list tr[data-deviation='{deviation.pk}']"
    assert manager.get_attribute(line, "data-state") == "not_reviewed"
    manager.click(f"{line} a")
    manager.check("#review-form input[name=classification][value=MINOR]")
    manager.fill("#review-form textarea[name=comment]", "Minor: one day late, no risk.")
    manager.click("#review-form button[type=submit]")
    manager.wait_for_selector("#deviation-reviews [data-classification=MINOR]")
    manager.goto(f"{base}/monitoring/deviations/")
    assert manager.get_attribute(line, "data-state") == "reviewed"
    for page in (monitor, coordinator, investigator, nantes, manager):
        page.context.close()
