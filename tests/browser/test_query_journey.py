"""The query journey in Chromium: a monitor raises a query on a daily value, the
coordinator answers it with a correction, the monitor closes it; the Nantes investigator
never sees it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.urls import reverse

from crf.models import DailyFollowUp, DataQuery, QueryStatus
from tests.browser.conftest import DESKTOP, login
from tests.crf.helpers import d0_of, daily_data, paris


def _as(browser: Any, live_server: Any, username: str) -> Any:
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    login(page, live_server, username)
    return page


def test_monitor_raises_coordinator_corrects_monitor_closes(browser_users, live_server, browser):
    from django.utils import timezone

    from crf.services import save_daily
    from sites.models import Site
    from tests.randomization.factories import make_randomized_participant

    d0 = timezone.localdate() - timedelta(days=3)
    participant = make_randomized_participant(
        Site.objects.get(code="11"), randomized_at=paris(d0, 10)
    )
    row = save_daily(
        participant,
        day_date=d0_of(participant),
        by=browser_users["coordinator"],
        data=daily_data(temperature_max_c=Decimal("39.5")),
    ).obj

    monitor = _as(browser, live_server, "monitor")
    monitor.goto(f"{live_server.url}{reverse('crf:daily_grid', args=[participant.code])}")
    monitor.click(f"a[href$='/daily/{row.pk}/']")
    monitor.click("#field-temperature_max_c a[href*='/monitoring/queries/raise/']")
    monitor.fill("#raise-form textarea[name=text]", "39.5 °C? The chart says 38.5.")
    monitor.click("#raise-form button[type=submit]")
    monitor.wait_for_selector("#query-thread")
    query = DataQuery.objects.get()
    assert query.day == row.day_date and query.value_when_raised == "39.5"

    coordinator = _as(browser, live_server, "coordinator")
    coordinator.goto(f"{live_server.url}{reverse('monitoring:query_list')}")
    coordinator.click(f"tr[data-query='{query.pk}'] a")
    coordinator.fill("#answer-form textarea[name=text]", "Transcription error, corrected.")
    coordinator.check("#answer-form input[name=correct]")
    coordinator.fill("#answer-form input[name=corrected_value]", "38.5")
    coordinator.click("#answer-form button[type=submit]")
    coordinator.wait_for_selector("#query-thread [data-kind=answered]")
    assert DailyFollowUp.objects.get(pk=row.pk).temperature_max_c == Decimal("38.5")

    monitor.goto(f"{live_server.url}{reverse('monitoring:query_list')}")
    monitor.click(f"tr[data-query='{query.pk}'] a")
    monitor.click("#close-form button[type=submit]")
    monitor.wait_for_selector("#query-thread [data-kind=closed]")
    query.refresh_from_db()
    assert query.status == QueryStatus.CLOSED

    nantes = _as(browser, live_server, "investigator_nantes")
    nantes.goto(f"{live_server.url}{reverse('monitoring:query_list')}?status=all")
    assert nantes.locator(f"tr[data-query='{query.pk}']").count() == 0
    detail = nantes.goto(
        f"{live_server.url}{reverse('monitoring:query_detail', kwargs={'pk': query.pk})}"
    )
    assert detail.status == 404
    for page in (monitor, coordinator, nantes):
        page.context.close()
