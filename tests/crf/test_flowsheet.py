"""The daily ICU flowsheet through the rendered page (tests/webform.py): layout by organ
system, an accessible name on every input, each day saved alone with its own version and
nothing else lost, and a bounded page for a 46-day stay."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils.text import capfirst

from crf import flowsheet
from crf.definitions import by_model
from crf.forms import form_class
from crf.models import DailyFollowUp
from crf.rules.daily import GRID_FIELDS
from crf.services import save_daily
from tests.crf.helpers import d0_of, daily_data, randomized
from tests.webform import forms_in, submit

pytestmark = pytest.mark.django_db

FIELDS = [n for n in form_class(by_model(DailyFollowUp)).base_fields if n != "expected_version"]


def _saved(participant: Any, by: Any, days: int, **overrides: Any) -> list[DailyFollowUp]:
    d0 = d0_of(participant)
    return [
        save_daily(
            participant, day_date=d0 + timedelta(days=n), by=by, data=daily_data(**overrides)
        ).obj
        for n in range(days)
    ]


def _columns(row: DailyFollowUp) -> dict[str, Any]:
    return DailyFollowUp.objects.filter(pk=row.pk).values().get()


def test_every_item_sits_in_exactly_one_row_of_one_organ_system():
    items = flowsheet.items()
    assert sorted(items) == sorted(GRID_FIELDS)
    assert len(items) == len(set(items))
    assert set(items) | {"reason_for_change"} == set(FIELDS)


def test_rows_are_grouped_by_organ_system_with_the_sofa_on_top(site11, role_users, client_for):
    participant = randomized(site11, days_ago=3)
    _saved(participant, role_users["coordinator"], 2)
    html = client_for("coordinator").get(reverse("crf:daily_grid", args=[participant.code]))
    page = html.content.decode()
    groups = re.findall(r'<tbody data-group="([a-z]+)">', page)
    assert groups == [key for key, _h, _r in flowsheet.GROUPS]
    assert page.count('scope="rowgroup"') == len(flowsheet.GROUPS) + 1
    rows = re.findall(r'<tr data-row="([a-z0-9_]+)">', page)
    assert rows[: len(flowsheet.SOFA_ROWS)] == list(flowsheet.SOFA_ROWS)
    # The saved SOFA of D0 in its cell, recomputed live by static/js/flowsheet.js.
    d0 = d0_of(participant).isoformat()
    assert re.search(rf'id="sofa-sofa_total-{d0}" class="flow-sofa-cell">9<', page)


def test_every_input_has_an_accessible_name_of_item_and_day(site11, role_users, client_for):
    participant = randomized(site11, days_ago=6)
    _saved(participant, role_users["coordinator"], 3)
    page = client_for("coordinator").get(reverse("crf:daily_grid", args=[participant.code]))
    labels = {
        name: str(capfirst(field.label))
        for name, field in form_class(by_model(DailyFollowUp)).base_fields.items()
    }
    labels["reason_for_change"] = "Motif de modification"
    forms = [f for f in forms_in(page.content) if f.id.startswith("row-")]
    assert len(forms) == 7
    seen = set()
    for number, form in enumerate(forms):
        shown = [c for c in form.controls if c.type != "hidden"]
        names = {c.name for c in shown if c.name}
        # Every item of the day, plus its reason for change once it is saved.
        assert names == set(FIELDS) - ({"reason_for_change"} if number >= 3 else set())
        for control in shown:
            label = control.attrs.get("aria-label")
            if control.name:
                assert label == f"{labels[control.name]}, J{number}", control.name
            else:
                assert (label and label.endswith(f", J{number}")) or control.tag == "button"
            seen.add(label)
    assert len(seen) > 7 * 40  # every name is distinct: item and day


def test_saving_one_day_keeps_every_other_value_and_every_other_day(site11, role_users, client_for):
    participant = randomized(site11, days_ago=4)
    rows = _saved(participant, role_users["coordinator"], 3, imv=True, rrt=True, rrt_mode="CRRT")
    before = {row.pk: _columns(row) for row in rows}
    day = rows[1].day_date.isoformat()
    url = reverse("crf:daily_grid", args=[participant.code])
    response = submit(
        client_for("coordinator"),
        url,
        form_id=f"row-{day}",
        changes={"gcs": "9", "reason_for_change": "re-assessed"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#enter-{rows[2].day_date.isoformat()}")
    changed = _columns(rows[1])
    assert changed["gcs"] == 9 and changed["version"] == 2
    assert _lost(before[rows[1].pk], changed) == set()
    for other in (rows[0], rows[2]):
        assert _columns(other) == before[other.pk]  # version 1, untouched


IGNORED = {"gcs", "version", "updated_at", "sofa_cns", "sofa_total", "status"}


def _lost(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The columns of a day that changed besides the edited GCS and what follows from it."""
    return {k for k in before if k not in IGNORED and before[k] != after[k]}


def test_the_nothing_lost_check_catches_a_value_the_page_would_drop(site11, role_users, client_for):
    """Negative control: a day column that failed to send one item (as a template that
    forgot its control would) is caught by the same comparison."""
    participant = randomized(site11, days_ago=3)
    rows = _saved(participant, role_users["coordinator"], 2)
    before = _columns(rows[1])
    day = rows[1].day_date.isoformat()
    response = submit(
        client_for("coordinator"),
        reverse("crf:daily_grid", args=[participant.code]),
        form_id=f"row-{day}",
        changes={"gcs": "9", "reason_for_change": "re-assessed", "urine_output_ml": None},
    )
    assert response.status_code == 302
    assert "urine_output_ml" in _lost(before, _columns(rows[1]))


def test_each_day_posts_its_own_version(site11, role_users, client_for):
    participant = randomized(site11, days_ago=3)
    rows = _saved(participant, role_users["coordinator"], 2)
    save_daily(
        participant,
        day_date=rows[1].day_date,
        by=role_users["coordinator"],
        data=daily_data(gcs=11),
        instance=rows[1],
        expected_version=1,
        reason="re-assessed",
    )
    page = client_for("coordinator").get(reverse("crf:daily_grid", args=[participant.code]))
    forms = [f for f in forms_in(page.content) if f.id.startswith("row-")]
    versions = {f.id: f.data().get("expected_version") for f in forms}
    assert versions[f"row-{rows[0].day_date.isoformat()}"] == "1"
    assert versions[f"row-{rows[1].day_date.isoformat()}"] == "2"


def test_a_46_day_stay_opens_a_week_within_a_query_budget(
    site11, role_users, client_for, django_assert_max_num_queries
):
    participant = randomized(site11, days_ago=45)
    _saved(participant, role_users["coordinator"], 46)
    client = client_for("coordinator")
    url = reverse("crf:daily_grid", args=[participant.code])
    client.get(reverse("home"))
    with django_assert_max_num_queries(25):
        response = client.get(url)
    page = response.content.decode()
    # 46 days = 6 full weeks and one of four; every day saved: the last week opens.
    assert "Semaine 7 sur 7" in page and page.count('<form id="row-') == 4
    with django_assert_max_num_queries(25):
        first = client.get(url + "?week=1").content.decode()
    assert first.count('<form id="row-') == 7 and 'href="?week=2"' in first
    assert "?week=0" not in first
    # A week past the last opens the last.
    assert "Semaine 7 sur 7" in client.get(url + "?week=99").content.decode()
