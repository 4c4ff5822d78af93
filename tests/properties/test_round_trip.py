"""Round trip changes nothing: a saved form opened and saved unchanged stays what the site
entered, writes no history row and no new version. Generated from the form registry
(crf.definitions.FORMS), at every editable status, for the edit pages and the daily grid rows."""

from __future__ import annotations

import pytest
from django import forms
from django.db import models
from django.urls import reverse

from crf.definitions import FORMS, by_model
from crf.forms import form_class
from crf.models import DailyFollowUp
from crf.services import save_daily
from tests.crf.helpers import d0_of, daily_data, randomized
from tests.properties.saved_forms import (
    EDITABLE_STATUSES,
    VARIANTS,
    edit_url,
    role_for,
    round_trip,
    saved_form,
)

pytestmark = pytest.mark.django_db

CASES = [
    pytest.param(model, status, variant, id=f"{model.__name__}-{status}-{variant}")
    for model in (d.model for d in FORMS)
    for status in EDITABLE_STATUSES
    for variant in VARIANTS
]


def _nullable_booleans(model: type) -> list[str]:
    return [
        f.name
        for f in model._meta.concrete_fields
        if isinstance(f, models.BooleanField)
        and f.null
        and f.name in form_class(by_model(model)).base_fields
    ]


def _page_errors(response) -> str:
    """The error messages of a refused page, for the assertion message."""
    import re

    html = response.content.decode()
    return " | ".join(
        re.findall(r'class="[^"]*(?:danger|invalid-feedback)[^"]*">(.*?)</', html, re.S)
    )


@pytest.mark.parametrize(("model", "status", "variant"), CASES)
def test_saving_an_edit_page_unchanged_changes_nothing(
    model, status, variant, site11, role_users, client_for
):
    participant = randomized(site11, days_ago=20)
    role = role_for(model)
    client = client_for(role)
    obj = saved_form(
        model, participant, by=role_users[role], client=client, status=status, variant=variant
    )
    first = next(iter(form_class(by_model(model)).base_fields))

    result = round_trip(client, edit_url(obj), obj, containing=first)

    assert result.problems == [], _page_errors(result.response)


@pytest.mark.parametrize(("status", "variant"), [c.values[1:] for c in CASES[:4]])
def test_saving_a_grid_row_unchanged_changes_nothing(
    status, variant, site11, role_users, client_for
):
    participant = randomized(site11, days_ago=20)
    day = d0_of(participant)
    client = client_for("coordinator")
    row = saved_form(
        DailyFollowUp,
        participant,
        by=role_users["coordinator"],
        client=client,
        status=status,
        variant=variant,
        day=day,
    )
    grid = reverse("crf:daily_grid", args=[participant.code])

    result = round_trip(
        client,
        f"{grid}?edit={day.isoformat()}",
        row,
        form_id=f"row-{day.isoformat()}",
        containing="",
    )

    assert result.problems == []


def test_the_round_trip_check_detects_the_erased_yes_no_answers(
    site11, role_users, client_for, monkeypatch
):
    """Negative control: with the former plain Select (a saved True renders as "True",
    matching no option) the same check reports the erased answers and the airway."""
    participant = randomized(site11, days_ago=20)
    row = save_daily(
        participant, day_date=d0_of(participant), by=role_users["coordinator"], data=daily_data()
    ).obj
    daily_form = form_class(by_model(DailyFollowUp))
    for name in _nullable_booleans(DailyFollowUp):
        buggy = forms.Select(choices=[("unknown", "—"), ("true", "Yes"), ("false", "No")])
        monkeypatch.setattr(daily_form.base_fields[name], "widget", buggy)

    result = round_trip(client_for("coordinator"), edit_url(row), row, containing="imv")

    assert result.changed["imv"] == (True, None)
    assert result.changed["airway"] == ("TUBE", "")
    assert result.history_written > 0
    assert result.problems
