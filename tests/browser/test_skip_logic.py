"""Skip logic in Chromium (issue #11): the page hides, live, the items its form's
declaration says do not apply; and the browser's evaluator (static/js/skip.js) answers
like the server's (crf.rules.conditions) on every form's declaration."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse

from crf.definitions import DEFINITIONS
from crf.rules import conditions
from crf.rules.conditions import as_json, referenced, skipped
from tests.browser.conftest import login


def _participant() -> Any:
    from django.utils import timezone

    from sites.models import Site
    from tests.crf.helpers import paris
    from tests.randomization.factories import make_randomized_participant

    d0 = timezone.localdate() - timedelta(days=95)
    return make_randomized_participant(Site.objects.get(code="11"), randomized_at=paris(d0, 10))


def _open(page: Any, live_server: Any, participant: Any, slug: str, query: str = "") -> None:
    url = reverse("crf:form_new", args=[participant.code, slug])
    page.goto(f"{live_server.url}{url}{query}")
    page.wait_for_load_state("domcontentloaded")


def _shown(page: Any, name: str) -> bool:
    return page.locator(f"#div_id_{name}").is_visible()


def test_eq5d_appears_only_at_d90_for_a_participant_alive(browser_users, live_server, page):
    participant = _participant()
    login(page, live_server, "coordinator")
    _open(page, live_server, participant, "follow-up", "?visit=FU_D90")
    assert not _shown(page, "eq5d_mobility")
    page.select_option("#id_vital_status", "ALIVE")
    assert _shown(page, "eq5d_mobility") and _shown(page, "residence")
    assert not _shown(page, "death_date")
    page.select_option("#id_vital_status", "DEAD")
    assert not _shown(page, "eq5d_mobility") and _shown(page, "death_date")
    _open(page, live_server, participant, "follow-up", "?visit=FU_D30")
    page.select_option("#id_vital_status", "ALIVE")
    assert not _shown(page, "eq5d_mobility") and _shown(page, "residence")


def test_sae_criteria_hidden_unless_the_event_is_serious(browser_users, live_server, page):
    participant = _participant()
    login(page, live_server, "coordinator")
    _open(page, live_server, participant, "adverse-event")
    assert not _shown(page, "sae_death") and not _shown(page, "awareness_date")
    page.select_option("#id_serious", "true")
    assert _shown(page, "sae_death") and _shown(page, "awareness_date")
    page.select_option("#id_serious", "false")
    assert not _shown(page, "sae_death")


def test_reason_not_given_hidden_when_the_injection_was_given(browser_users, live_server, page):
    participant = _participant()
    login(page, live_server, "coordinator")
    _open(page, live_server, participant, "injection", "?number=1")
    page.select_option("#id_given", "true")
    assert not _shown(page, "reason_not_given") and _shown(page, "kit_code")
    page.select_option("#id_given", "false")
    assert _shown(page, "reason_not_given") and not _shown(page, "kit_code")
    assert not _shown(page, "reason_not_given_other")
    page.select_option("#id_reason_not_given", "OTHER")
    assert _shown(page, "reason_not_given_other")


def _domain(field: models.Field) -> list[Any]:
    """JSON values a page can give an item: its codes, yes/no, numbers, empty."""
    if isinstance(field, ArrayField):
        codes = [c for c, _ in field.base_field.choices or []]
        return [[], codes[:1], codes[:2]]
    if field.choices:
        return [None, "", *(c for c, _ in field.choices)]
    if isinstance(field, models.BooleanField):
        return [None, True, False]
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        return [None, 0, 1, 2.5]
    return [None, "", "x"]


def _cases(seed: int = 11, per_form: int = 60) -> list[tuple[dict, dict]]:
    rng = random.Random(seed)
    out = []
    for definition in DEFINITIONS:
        if definition.rules is None:
            continue
        show_when = definition.rules.show_when
        fields = {f.name: f for f in definition.model._meta.concrete_fields}
        for _ in range(per_form if show_when else 1):
            values = {n: rng.choice(_domain(fields[n])) for n in sorted(referenced(show_when))}
            out.append((show_when, values))
    return out


def _in_browser(page: Any, cases: list[tuple[dict, dict]]) -> list[list[str]]:
    return page.evaluate(
        "cases => cases.map(c => window.PlatiniumSkip.skipped(c[0], c[1]))",
        [[as_json(show_when), values] for show_when, values in cases],
    )


def test_the_browser_evaluator_answers_like_the_server_on_every_form(
    browser_users, live_server, page, monkeypatch
):
    participant = _participant()
    login(page, live_server, "coordinator")
    _open(page, live_server, participant, "adverse-event")
    cases = _cases()
    browser = _in_browser(page, cases)
    server = [sorted(skipped(show_when, values)) for show_when, values in cases]
    assert browser == server
    # Negative control: the cases tell strict from loose equality (None == False, 0 == False),
    # so an evaluator that confused them on either side would be caught.
    monkeypatch.setattr(conditions, "_same", lambda a, b: a == b or (not a and not b))
    loose = [sorted(skipped(show_when, values)) for show_when, values in cases]
    assert loose != browser
