"""crf.widget_html renders what Django's widget templates render, as a browser would read
and submit it: same controls, attributes, options and selection, for every item of the
daily form — blank, saved, and bound with errors."""

from __future__ import annotations

from typing import Any

import pytest

from crf.definitions import by_model
from crf.forms import form_class
from crf.models import DailyFollowUp
from crf.widget_html import widget_html
from tests.crf.helpers import daily_data
from tests.webform import forms_in

FORM = form_class(by_model(DailyFollowUp))


def _read(html: str) -> list[tuple[Any, ...]]:
    form = forms_in(f'<form id="f" method="post">{html}</form>')[0]
    return [(c.tag, sorted((k, v) for k, v in c.attrs.items()), c.options) for c in form.controls]


def _post(values: dict) -> dict:
    return {
        k: "true" if v is True else "false" if v is False else str(v) for k, v in values.items()
    }


@pytest.mark.parametrize(
    "form",
    [
        FORM(auto_id="id_x_%s"),
        FORM(instance=DailyFollowUp(**daily_data(rrt=True, rrt_mode="CRRT")), auto_id="x_%s"),
        FORM(_post(daily_data(temperature_max_c="47", gcs="abc", airway="NOPE")), auto_id="%s"),
    ],
    ids=["blank", "saved", "bound-with-errors"],
)
def test_every_item_renders_as_django_renders_it(form):
    form.is_valid()
    for field in form.fields.values():
        field.widget.attrs.update({"form": "row-x", "aria-label": "PaO₂ <b>, J3"})
    for bound in form:
        assert _read(widget_html(bound)) == _read(bound.as_widget()), bound.name


def test_the_comparison_catches_a_lost_selection():
    """Negative control: a select whose saved answer is not selected reads differently."""
    form = FORM(instance=DailyFollowUp(**daily_data(imv=True)))
    good = form["imv"].as_widget()
    assert _read(good.replace(" selected", "")) != _read(good)
