"""Issue #11 on an 800 px tablet in Chromium (ADR 0037): the eligibility checklist stays in
sight while typing low in the screening form, and no CRF form page scrolls sideways; a
value typed with a unit has its unit beside it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from tests.browser.conftest import csp_violations, login

TABLET_800 = {"width": 800, "height": 1280}

# True when the element's box is wholly inside the viewport and not covered at its centre.
IN_SIGHT = """e => {
    const r = e.getBoundingClientRect();
    const inside = r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight
        && r.left >= 0 && r.right <= window.innerWidth;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return inside && (hit === e || e.contains(hit));
}"""
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def tablet(browser: Any) -> Any:
    context = browser.new_context(viewport=TABLET_800, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused = csp_violations(page)
    yield page
    context.close()
    assert refused == [], f"refused by the Content-Security-Policy: {refused}"


def _in_sight(page: Any, selector: str) -> bool:
    return bool(page.locator(selector).evaluate(IN_SIGHT))


def test_the_checklist_stays_in_sight_while_typing_on_an_800px_tablet(
    tablet: Any, live_server: Any, browser_users: dict[str, Any]
) -> None:
    page = tablet
    login(page, live_server, "investigator")
    page.goto(f"{live_server.url}{reverse('eligibility:screening_create')}")
    assert page.evaluate(SIDEWAYS) <= 0
    assert "{#" not in page.inner_text("#checklist-panel")  # no template comment shown

    # An input low in the form: the last laboratory value, far below the first screen.
    low = "#id_labs-creatinine"
    assert page.locator(low).evaluate("e => e.getBoundingClientRect().top") > 1280
    page.click(low)
    page.keyboard.type("110")
    assert _in_sight(page, low), "the field being typed in is hidden"
    assert _in_sight(page, "#checklist-chips"), "the checklist left the screen"
    assert _in_sight(page, "#checklist-heading")

    # The checklist answers what is chosen there (a question low in the form), in sight.
    met = "() => document.querySelectorAll('#checklist-chips [data-state=met]').length"
    before = page.evaluate(met)
    page.click("#id_consent_obtained")  # a tap on the question, then the answer
    page.select_option("#id_consent_obtained", "true")
    page.wait_for_function(
        "n => document.querySelectorAll('#checklist-chips [data-state=met]').length > n",
        arg=before,
    )
    assert _in_sight(page, "#id_consent_obtained")
    assert _in_sight(page, "#checklist-chips")
    page.screenshot(path="/tmp/platinium-screening-800.png")


def test_crf_forms_fit_an_800px_tablet_with_units_beside_their_values(
    tablet: Any, live_server: Any, browser_users: dict[str, Any]
) -> None:
    from crf.definitions import FORMS
    from sites.models import Site
    from tests.crf.helpers import d0_of, randomized

    participant = randomized(Site.objects.get(code="11"), days_ago=20)
    code = participant.code
    fixed = {
        "number": "1",
        "day_date": (d0_of(participant) + timedelta(days=1)).isoformat(),
        "visit": "FU_D30",
    }
    page = tablet
    login(page, live_server, "investigator")
    wide: dict[str, int] = {}
    for definition in FORMS:
        if definition.slug == "d10":
            continue  # entered by data management only (randomization.md)
        url = reverse("crf:form_new", args=[code, definition.slug])
        if definition.fixed:
            url += f"?{definition.fixed}={fixed[definition.fixed]}"
        response = page.goto(f"{live_server.url}{url}")
        assert response is not None and response.status == 200, url
        if (overflow := page.evaluate(SIDEWAYS)) > 0:
            wide[definition.slug] = overflow
    assert wide == {}, f"pages wider than 800 px (extra pixels): {wide}"

    # The daily form, richest in units: each unit choice sits on the line of its value,
    # just to its right, and the value input is no wider than a number needs.
    day = fixed["day_date"]
    page.goto(f"{live_server.url}{reverse('crf:form_new', args=[code, 'daily'])}?day_date={day}")
    for stem in ("pao2", "fio2", "platelets", "bilirubin", "norepinephrine", "creatinine"):
        value = page.locator(f"#id_{stem}_value").bounding_box()
        unit = page.locator(f"#id_{stem}_unit").bounding_box()
        assert value is not None and unit is not None, stem
        assert abs(value["y"] - unit["y"]) < 2, f"{stem}: the unit is not on the value's line"
        assert 0 <= unit["x"] - (value["x"] + value["width"]) <= 12, f"{stem}: unit not beside"
        assert value["width"] <= 9 * 16, f"{stem}: value input {value['width']} px wide"
    page.screenshot(path="/tmp/platinium-crf-800.png", full_page=True)
