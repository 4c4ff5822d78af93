"""In Chromium, under the strict Content-Security-Policy (the `page` fixture fails on any
refusal): the data manager's dashboard draws every chart and its tables hold the numbers."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from sites.models import Site
from tests.browser.conftest import login
from tests.dashboard.helpers import open_query
from tests.sdv.helpers import with_critical_rows

CANVASES = (
    "chart-recruitment",
    "chart-consort",
    "chart-sites",
    "chart-queries",
    "chart-sdv",
    "chart-safety",
)


def test_the_dashboard_draws_its_charts_beside_its_tables(
    page: Any, live_server: Any, browser_users: dict[str, Any]
) -> None:
    site11, site16 = Site.objects.get(code="11"), Site.objects.get(code="16")
    first = with_critical_rows(site11, browser_users["investigator"])
    with_critical_rows(site16, browser_users["investigator_nantes"])
    open_query(first, days_old=1)

    login(page, live_server, "data_manager")
    page.click(f"nav a[href='{reverse('monitoring:dashboard')}']")
    page.wait_for_load_state("load")
    for canvas in CANVASES:
        drawn = page.evaluate(
            "id => Chart.getChart(document.getElementById(id)) !== undefined", canvas
        )
        assert drawn, f"{canvas} was not drawn"
    assert page.inner_text("#table-sites tr[data-site='11'] td.randomized") == "1"
    assert page.inner_text("#table-sites tr[data-site='11'] td.queries-lt7") == "1"
    assert page.inner_text("#table-sites tr[data-site='16'] td.saes") == "1"
    page.screenshot(path="/tmp/platinium-dashboard.png", full_page=True)
    consort = page.locator("#table-consort tbody td").all_inner_texts()
    assert consort == ["0", "0", "2", "2", "0"]
