"""Issue #11 in Chromium: axe-core (vendored, tests/browser/vendor/axe-core) finds no serious
or critical violation on the ten main pages, the navigation contrast included (ADR 0037);
a planted violation is caught (the negative control)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from tests.browser.axe import describe, serious_violations
from tests.browser.conftest import DESKTOP, csp_violations, login


@pytest.fixture
def trial(browser_users: dict[str, Any]) -> dict[str, Any]:
    """Site 11: a randomized participant with its baseline, a day-1 form to open and a
    monitor's query; an enrolled participant waiting for randomization."""
    from crf.services import save_baseline
    from sites.models import Site
    from tests.crf.helpers import baseline_data, d0_of, randomized
    from tests.dashboard.helpers import open_query
    from tests.eligibility.factories import make_enrolled_participant
    from tests.randomization.factories import make_kits

    site11 = Site.objects.get(code="11")
    participant = randomized(site11, days_ago=20)
    save_baseline(participant, by=browser_users["investigator"], data=baseline_data())
    open_query(participant, days_old=2)
    waiting = make_enrolled_participant(site11)
    make_kits(site11, 2)
    return {"participant": participant, "waiting": waiting, "d0": d0_of(participant)}


def _pages(trial: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(role, page name, URL) of the ten main pages, grouped by the role that uses them."""
    code, waiting = trial["participant"].code, trial["waiting"].code
    day1 = (trial["d0"] + timedelta(days=1)).isoformat()
    return [
        ("investigator", "home", reverse("home")),
        ("investigator", "participant list", reverse("participants:list")),
        ("investigator", "participant page", reverse("crf:participant", args=[code])),
        (
            "investigator",
            "CRF form (daily follow-up)",
            reverse("crf:form_new", args=[code, "daily"]) + f"?day_date={day1}",
        ),
        ("investigator", "screening and eligibility", reverse("eligibility:screening_create")),
        ("coordinator", "randomization", reverse("randomization:randomize", args=[waiting])),
        ("pharmacist", "pharmacy home", reverse("randomization:pharmacy_home")),
        ("monitor", "query worklist", reverse("monitoring:query_list")),
        ("data_manager", "monitoring dashboard", reverse("monitoring:dashboard")),
        ("data_manager", "audit log", reverse("audit:log")),
    ]


def test_the_ten_main_pages_have_no_serious_accessibility_violation(
    browser: Any, live_server: Any, trial: dict[str, Any]
) -> None:
    failures: list[str] = []
    refused: list[str] = []
    pages: Any = None
    role = ""
    for who, name, url in _pages(trial):
        if who != role:
            if pages is not None:
                pages.context.close()
            context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
            context.set_default_timeout(10_000)
            pages = context.new_page()
            refused = csp_violations(pages)
            login(pages, live_server, who)
            role = who
        response = pages.goto(f"{live_server.url}{url}")
        pages.wait_for_load_state("load")
        assert response is not None and response.status == 200, (name, url)
        found = serious_violations(pages)
        print(describe(found, url=f"{name} {url}"))
        if found:
            failures.append(describe(found, url=f"{name} ({who}, {url})"))
    if pages is not None:
        pages.context.close()
    assert refused == []
    assert not failures, "\n\n".join(failures)


PLANTED = """<!doctype html><html lang="fr"><head><title>Témoin</title></head><body>
<nav id="nav" style="background:#1d4e6f;padding:1rem">
  <a id="link" href="#" style="color:%(link)s">Participants</a></nav>
<main><h1>Témoin</h1>%(extra)s</main></body></html>"""
# The navigation colours before issue #11 (55 % white on navy: 3.9:1), an image with no
# text alternative and an input with no label: three serious or critical violations.
FLAWED = PLANTED % {
    "link": "#99afbe",
    "extra": '<img id="logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    '<input id="weight" type="text">',
}
SOUND = PLANTED % {
    "link": "rgba(255,255,255,.85)",
    "extra": '<img id="logo" alt="Logo" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    '<label for="weight">Poids</label><input id="weight" type="text">',
}


def test_the_axe_check_catches_a_planted_violation(page: Any) -> None:
    """Negative control: the check that passes the ten pages fails a page with known serious
    violations, names each rule and element, and passes the same page once repaired."""
    page.set_content(FLAWED)
    found = serious_violations(page)
    report = describe(found, url="planted page")
    assert {v["id"] for v in found} == {"color-contrast", "image-alt", "label"}, report
    for selector in ("#link", "#logo", "#weight"):
        assert selector in report, report
    assert "3.89" in report  # the contrast ratio is printed, as on a real failure
    page.set_content(SOUND)
    assert serious_violations(page) == []
