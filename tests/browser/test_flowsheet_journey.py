"""Issue #11, done when: a coordinator enters a whole ICU week in the flowsheet by keyboard
alone at 1366×768 (Chromium). The first day is typed item by item; the next six are
"same as yesterday" (Shift+Tab from the day's first item, Enter) with the PaO₂ retyped.
Tab goes down a day's column to its Save button, then on to the next day; Enter saves; the
next day takes the focus; Alt+PageUp opens the earlier week. The database holds the week,
each day at version 1."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from crf import flowsheet
from crf.models import DailyFollowUp
from tests.browser.conftest import DESKTOP, login
from tests.browser.test_crf_journey import DAILY
from tests.crf.helpers import paris

ACTIVE = """() => { const e = document.activeElement;
  return {name: e.name || '', tag: e.tagName, type: e.type || '',
          label: e.getAttribute('aria-label') || '',
          form: e.getAttribute('form') || (e.form ? e.form.id : ''),
          copy: e.getAttribute('data-copy-previous') || '',
          index: e.selectedIndex === undefined ? -1 : e.selectedIndex,
          options: e.options ? Array.from(e.options).map(o => o.value) : []}; }"""


def _participant(days_ago: int) -> Any:
    from sites.models import Site
    from tests.randomization.factories import make_randomized_participant

    d0 = timezone.localdate() - timedelta(days=days_ago)
    return make_randomized_participant(Site.objects.get(code="11"), randomized_at=paris(d0, 10))


def _choose(page: Any, active: dict, value: str) -> None:
    """Pick an option of the focused (closed) select with the arrow keys."""
    steps = active["options"].index(value) - active["index"]
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")


def _type(page: Any, value: str) -> None:
    page.keyboard.press("Control+a")
    page.keyboard.type(value)


def _down_the_day(page: Any, day_label: str, values: dict[str, str]) -> list[str]:
    """From the focused item, Tab down the day to its Save button, typing `values`; the
    names met on the way, in order."""
    met: list[str] = []
    for _ in range(80):
        active = page.evaluate(ACTIVE)
        if active["type"] == "submit":
            assert active["label"] == f"Enregistrer, {day_label}"
            return met
        assert active["label"].endswith(f", {day_label}"), active
        met.append(active["name"])
        if active["name"] in values:
            if active["tag"] == "SELECT":
                _choose(page, active, values[active["name"]])
            else:
                _type(page, values[active["name"]])
        page.keyboard.press("Tab")
    raise AssertionError("Tab never reached the day's Save button")


def test_a_whole_icu_week_entered_by_keyboard_alone(browser_users, live_server, page):
    assert page.viewport_size == DESKTOP
    participant = _participant(7)  # D0 … D7: two weeks, the first one full
    d0 = timezone.localdate() - timedelta(days=7)
    days = [d0 + timedelta(days=n) for n in range(7)]
    login(page, live_server, "coordinator")
    grid = reverse("crf:daily_grid", args=[participant.code])
    # The link of the participant page's timeline for D0: the flowsheet focuses that day.
    page.goto(f"{live_server.url}{grid}?edit={days[0]}#enter-{days[0]}")

    # Sticky header and first column inside the flowsheet's own scrolling box.
    sticky = page.evaluate(
        """() => { const w = document.getElementById('flowsheet-wrap');
          w.scrollTop = 400; w.scrollLeft = 200;
          const head = document.querySelector('#daily-grid thead th:nth-child(2)');
          const label = document.querySelector('#daily-grid tbody th[scope=row]');
          const r = w.getBoundingClientRect();
          const out = [Math.round(head.getBoundingClientRect().top - r.top),
                       Math.round(label.getBoundingClientRect().left - r.left)];
          w.scrollTop = 0; w.scrollLeft = 0; return out; }"""
    )
    assert sticky == [0, 0] or max(abs(v) for v in sticky) <= 1, sticky

    items = flowsheet.items()
    for n, day in enumerate(days):
        label = f"J{n}"
        active = page.evaluate(ACTIVE)
        assert active["form"] == f"row-{day}" and active["name"] == items[0], active
        if n == 0:
            met = _down_the_day(page, label, DAILY)
        else:
            page.keyboard.press("Shift+Tab")
            assert page.evaluate(ACTIVE)["copy"] == f"row-{day}"
            page.keyboard.press("Enter")  # a blank day: copied without a question
            assert page.evaluate(ACTIVE)["name"] == items[0]
            met = _down_the_day(page, label, {"pao2_value": str(80 + n)})
        # Tab goes down the column: every item of the day, in the flowsheet's order.
        assert met == items
        if n < 6:
            # The last control of a day leads to the next day's first one, and back.
            page.keyboard.press("Tab")
            following = page.evaluate(ACTIVE)
            assert following["copy"] == f"row-{day + timedelta(days=1)}", following
            page.keyboard.press("Shift+Tab")
            assert page.evaluate(ACTIVE)["type"] == "submit"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert f"{label} enregistré" in page.inner_text("main")

    # After D6, the page went on to D7 on the second week; Alt+PageUp: back to the first.
    assert "Semaine 2 sur 2" in page.inner_text("main")
    with page.expect_navigation():
        page.keyboard.press("Alt+PageUp")
    assert "?week=1" in page.url and "Semaine 1 sur 2" in page.inner_text("main")

    rows = {r.day_date: r for r in DailyFollowUp.objects.filter(participant=participant)}
    assert sorted(rows) == days
    for n, day in enumerate(days):
        row = rows[day]
        assert row.version == 1 and row.status == "complete", (day, row.status)
        assert int(row.pao2_value) == 80 + n
        assert (row.gcs, row.imv, row.airway, row.map_mmhg) == (14, True, "TUBE", 65)
        assert row.sofa_total is not None
