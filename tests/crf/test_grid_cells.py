"""The flowsheet's unbound days are rendered from one prototype form's fields
(crf.grid._unbound_day, crf.widget_html.unbound_html) instead of a form per day: the
same bytes as the day's own form, for blank, saved and partly saved days, in French and
English, whatever the field's required / help text / disabled state; the whole page is
the same as the page built with a form per day, with the same number of queries.
Negative controls: a value, a required mark or a hidden version left out is caught."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from crf import flowsheet, grid
from crf.models import DailyFollowUp
from crf.services import save_daily
from crf.widget_html import unbound_html
from tests.crf.helpers import d0_of, daily_data, randomized

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 29)  # the night the clocks change in Paris


def _names(form: Any) -> dict[str, str]:
    return {name: str(capfirst(field.label or "")) for name, field in form.fields.items()}


def _by_its_own_form(day: date, instance: Any, label: str, twist: Any = None) -> tuple:
    """What the page rendered before: the day's own form, its inputs and hidden fields."""
    form = grid._row_form(day, instance)
    if twist:
        twist(form)
    names = _names(form)
    for name, field in form.fields.items():
        field.widget.attrs["aria-label"] = f"{names[name]}, {label}"
    return grid._bound_inputs(form), "".join(str(h) for h in form.hidden_fields())


def _from_the_prototype(day: date, instance: Any, label: str, twist: Any = None) -> tuple:
    prototype = grid._row_form(date.min, None)
    if twist:
        twist(prototype)
    return grid._unbound_day(prototype, day, instance, label, _names(prototype))


def _saved_rows(participant: Any, by: Any) -> list[DailyFollowUp]:
    d0 = d0_of(participant)
    variants = [
        daily_data(),
        daily_data(rrt=True, rrt_mode="CRRT", lst_limitation=True, lst_limitation_date=d0),
        {"gcs": 3, "pao2_value": "61.5", "pao2_unit": "kPa", "imv": None, "airway": ""},
        {},
    ]
    return [
        save_daily(participant, day_date=d0 + timedelta(days=n), by=by, data=data).obj
        for n, data in enumerate(variants)
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_day_renders_as_its_own_form(site11, role_users, language):
    participant = randomized(site11, days_ago=6)
    rows = _saved_rows(participant, role_users["coordinator"])
    saved_again = save_daily(  # a second version: the hidden version says 2
        participant,
        day_date=rows[0].day_date,
        by=role_users["coordinator"],
        data=daily_data(gcs=9),
        instance=rows[0],
        expected_version=1,
        reason="re-assessed",
    ).obj
    cases = [(row.day_date, row) for row in [saved_again, *rows[1:]]]
    cases += [(DAY, None), (d0_of(participant) + timedelta(days=5), None)]
    with translation.override(language):
        for day, instance in cases:
            label = f"J{day.day} <b>"
            expected = _by_its_own_form(day, instance, label)
            assert _from_the_prototype(day, instance, label) == expected, (day, instance)
            assert expected[1].count("<input") == 1  # the hidden version, in both


def _required(form: Any) -> None:
    for name in ("gcs", "airway", "imv", "lst_limitation_date"):
        form.fields[name].required = True


def _help_and_disabled(form: Any) -> None:
    form.fields["gcs"].help_text = "3–15"
    form.fields["airway"].disabled = True


@pytest.mark.parametrize("twist", [_required, _help_and_disabled], ids=["required", "help"])
def test_required_help_text_and_disabled_render_as_django_renders_them(site11, role_users, twist):
    participant = randomized(site11, days_ago=3)
    row = _saved_rows(participant, role_users["coordinator"])[2]  # gcs, no airway, no imv
    for day, instance in ((row.day_date, row), (DAY, None)):
        expected = _by_its_own_form(day, instance, "J1", twist)
        assert _from_the_prototype(day, instance, "J1", twist) == expected
        assert expected != _by_its_own_form(day, instance, "J1")  # the twist shows


def test_the_comparison_catches_a_wrong_value_or_a_lost_required_mark(site11, role_users):
    """Negative controls: another day's values, or the required mark of the real form
    missing from the prototype, read differently."""
    participant = randomized(site11, days_ago=3)
    first, second = _saved_rows(participant, role_users["coordinator"])[:2]
    expected = _by_its_own_form(first.day_date, first, "J0")
    second.day_date = first.day_date
    assert _from_the_prototype(first.day_date, second, "J0") != expected
    assert _from_the_prototype(DAY, None, "J0") != _by_its_own_form(DAY, None, "J0", _required)


def test_an_unknown_widget_is_rendered_by_django():
    """unbound_html hands a widget it does not write (a textarea) to Django's renderer."""
    prototype = grid._row_form(date.min, None)
    prototype.fields["note"] = forms.CharField(widget=forms.Textarea, initial="a < b")
    html = unbound_html(prototype, "note", {}, prototype.auto_id, {"form": "row-x"})
    prototype.fields["note"].widget.attrs["form"] = "row-x"
    assert html.startswith("<textarea") and html == prototype["note"].as_widget()


def _page(client: Any, participant: Any, **query: str) -> tuple[str, int]:
    url = reverse("crf:daily_grid", args=[participant.code])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query)
    assert response.status_code == 200
    body = response.content.decode()
    # The CSRF token is masked afresh at every rendering.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body), len(queries)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_page_is_the_page_of_a_form_per_day(
    site11, role_users, client_for, monkeypatch, language
):
    participant = randomized(site11, days_ago=9)
    _saved_rows(participant, role_users["coordinator"])
    client = client_for("investigator")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    fast, fast_queries = _page(client, participant, week="1")
    with monkeypatch.context() as patch:
        patch.setattr(grid, "_lends_fields", lambda prototype: False)
        per_day, per_day_queries = _page(client, participant, week="1")
    assert fast == per_day and f'<html lang="{language}"' in fast
    assert fast_queries == per_day_queries
    assert fast.count('name="expected_version"') == 7 and fast.count('name="gcs"') == 7
    # Negative control: days rendered without their hidden version read differently.
    original = grid._unbound_day
    monkeypatch.setattr(grid, "_unbound_day", lambda *a: (original(*a)[0], ""))
    assert _page(client, participant, week="1")[0] != per_day


# The template's loops the flowsheet's lines replaced (crf/grid.py _row, _sofa_rows).
TEMPLATE_LINES = (
    "{% load i18n %}"
    '{% for line in sofa_rows %}<tr data-row="{{ line.name }}"><th scope="row" '
    'class="flow-label">{{ line.label|capfirst }}</th>{% for id, value in line.cells %}'
    '<td id="{{ id }}" class="flow-sofa-cell">{{ value|default_if_none:"—" }}</td>{% endfor %}'
    "</tr>\n{% endfor %}|"
    '{% for line in rows %}<tr data-row="{{ line.name }}"><th scope="row" '
    'class="flow-label">{{ line.label }}</th>{{ line.cells }}</tr>\n{% endfor %}'
)


def _by_the_template(columns: list[dict], sofa: Any = None) -> str:
    sofa_rows = [
        {
            "name": name,
            "label": DailyFollowUp._meta.get_field(name).verbose_name,
            "cells": [
                (
                    f"sofa-{name}-{c['day'].isoformat()}",
                    (sofa or getattr)(c["instance"], name, None),
                )
                for c in columns
            ],
        }
        for name in flowsheet.SOFA_ROWS
    ]
    rows = [
        {
            "name": names[0],
            "label": capfirst(DailyFollowUp._meta.get_field(names[0]).verbose_name),
            "cells": mark_safe(
                "".join(
                    grid._input_cell(c, names)
                    if c["editable"]
                    else grid._text_cell(c["day"], names, c["instance"], c["queries"])
                    for c in columns
                )
            ),
        }
        for _key, _heading, lines in flowsheet.GROUPS
        for names in lines
    ]
    return Template(TEMPLATE_LINES).render(Context({"sofa_rows": sofa_rows, "rows": rows}))


def _by_python(columns: list[dict]) -> str:
    return f"{grid._sofa_rows(columns)}|{''.join(g['rows'] for g in grid._groups(columns))}"


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("editable", [True, False], ids=["inputs", "read-only"])
def test_the_lines_are_what_the_template_wrote(site11, role_users, language, editable):
    participant = randomized(site11, days_ago=6)
    rows = _saved_rows(participant, role_users["coordinator"])
    existing = {row.day_date: row for row in rows}
    shown = [d0_of(participant) + timedelta(days=n) for n in range(6)]  # 4 saved, 2 not
    with translation.override(language):
        columns = grid._columns(
            shown, {}, existing, editable=editable, bound={}, queries={rows[1].pk: {"gcs": 2}}
        )
        expected = _by_the_template(columns)
        assert _by_python(columns) == expected
        assert expected.count("<tr") == len(flowsheet.SOFA_ROWS) + 36
        # Negative control: a SOFA cell shown otherwise (0 for a missing score) differs.
        zero = _by_the_template(columns, lambda i, n, d: getattr(i, n, None) or 0)
        assert zero != expected
