""" "Same as yesterday" in the daily flowsheet, in Chromium: every item (Yes/No selects
included) is copied exactly, from the day before on the same week or from the saved day
before the week; a day that already holds data is overwritten only after the user
confirms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override

from crf.definitions import by_model
from crf.forms import form_class
from crf.models import DailyFollowUp
from tests.browser.conftest import login
from tests.crf.helpers import d0_of, daily_data, paris
from tests.properties.saved_forms import history_count

CONFIRM = "This day already holds values: replace them with the previous day’s?"
ITEMS = [
    name
    for name in form_class(by_model(DailyFollowUp)).base_fields
    if name not in {"expected_version", "reason_for_change"}
]


def _participant(days_ago: int) -> Any:
    from django.utils import timezone

    from sites.models import Site
    from tests.randomization.factories import make_randomized_participant

    d0 = timezone.localdate() - timedelta(days=days_ago)
    return make_randomized_participant(Site.objects.get(code="11"), randomized_at=paris(d0, 10))


def _save_day(participant: Any, day: Any, by: Any, **overrides: Any) -> DailyFollowUp:
    from crf.services import save_daily

    return save_daily(participant, day_date=day, by=by, data=daily_data(**overrides)).obj


def _columns(row: DailyFollowUp) -> dict[str, Any]:
    return DailyFollowUp.objects.filter(pk=row.pk).values().get()


def _inputs(page: Any, form_id: str) -> dict[str, str]:
    return page.evaluate(
        """id => Object.fromEntries(Array.from(document.querySelectorAll(`[form='${id}'][name]`))
            .filter(e => e.type !== 'hidden' && e.name !== 'reason_for_change')
            .map(e => [e.name, e.value]))""",
        form_id,
    )


def _grid(page: Any, live_server: Any, participant: Any, day: Any) -> None:
    url = reverse("crf:daily_grid", args=[participant.code])
    page.goto(f"{live_server.url}{url}?edit={day.isoformat()}")


@pytest.mark.parametrize(
    ("days_ago", "first"), [(1, 0), (8, 6)], ids=["from-the-same-week", "from-the-week-before"]
)
def test_same_as_yesterday_then_save_changes_nothing_when_yesterday_equals_today(
    days_ago, first, browser_users, live_server, page
):
    participant = _participant(days_ago)
    by = browser_users["coordinator"]
    d0 = d0_of(participant)
    yesterday, today = d0 + timedelta(days=first), d0 + timedelta(days=first + 1)
    _save_day(participant, yesterday, by, imv=True, airway="TUBE", rrt=False)
    row = _save_day(participant, today, by, imv=True, airway="TUBE", rrt=False)
    login(page, live_server, "coordinator")
    _grid(page, live_server, participant, today)
    before, written = _columns(row), history_count()  # after the (audited) login
    form_id = f"row-{today.isoformat()}"
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))

    page.click(f"[data-copy-previous='{form_id}']")
    page.click(f"form#{form_id} button[type=submit]")
    page.wait_for_load_state("domcontentloaded")

    with override("fr"):
        assert dialogs == [gettext(CONFIRM)]
    assert _columns(row) == before
    assert history_count() == written


def test_a_row_holding_data_is_overwritten_only_after_confirmation(
    browser_users, live_server, page
):
    participant = _participant(1)
    by = browser_users["coordinator"]
    d0 = d0_of(participant)
    yesterday, today = d0, d0 + timedelta(days=1)
    _save_day(participant, yesterday, by, imv=False, airway="", rrt=True, rrt_mode="CRRT", gcs=9)
    row = _save_day(participant, today, by, imv=True, airway="TUBE", rrt=False, gcs=14)
    login(page, live_server, "coordinator")
    _grid(page, live_server, participant, today)
    form_id = f"row-{today.isoformat()}"
    source, target = _inputs(page, f"row-{yesterday.isoformat()}"), _inputs(page, form_id)
    assert source != target and set(source) == set(target) == set(ITEMS)

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click(f"[data-copy-previous='{form_id}']")
    assert _inputs(page, form_id) == target  # dismissed: nothing copied

    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"[data-copy-previous='{form_id}']")
    assert _inputs(page, form_id) == source  # confirmed: every item, selects included
    page.fill(f"[form='{form_id}'][name='reason_for_change']", "same as the day before")
    page.click(f"form#{form_id} button[type=submit]")
    page.wait_for_load_state("domcontentloaded")

    row.refresh_from_db()
    assert row.imv is False and row.rrt is True and row.rrt_mode == "CRRT" and row.gcs == 9
    assert row.airway == ""
