"""The investigator's home page in Chromium (issue #11): the counts of the day's work,
in French, and a count opens the list of exactly those forms."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import login


def test_the_investigator_opens_the_overdue_forms_from_home(
    page: Any, live_server: Any, browser_users: dict[str, Any]
) -> None:
    from sites.models import Site
    from tests.crf.helpers import randomized

    randomized(Site.objects.get(code="11"), days_ago=2, dispensed=False)  # D2 today
    randomized(Site.objects.get(code="16"), days_ago=2, dispensed=False)  # never counted
    login(page, live_server, "investigator")
    overdue = page.locator('a[data-count="forms_overdue"]')
    assert overdue.locator(".todo-n").inner_text().strip() == "2"  # baseline, injection 1
    assert "Formulaires en retard" in overdue.inner_text()
    due = page.locator('a[data-count="injections_due"]')
    assert due.locator(".todo-n").inner_text().strip() == "1"  # injection 2 (D2–D4)
    overdue.click()
    page.wait_for_load_state("domcontentloaded")
    assert "/crf/to-enter/?show=overdue" in page.url
    rows = page.locator("tr.todo-row")
    assert rows.count() == 2
    assert {rows.nth(i).get_attribute("data-participant") for i in range(2)} == {"11-001"}
