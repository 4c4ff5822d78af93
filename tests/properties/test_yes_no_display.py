"""Every saved Yes/No answer reads "Oui" / "Non" on the read-only pages, in French: the form
detail of every CRF form (crf.definitions.FORMS) and the text cells of the daily flowsheet."""

from __future__ import annotations

import re

import pytest
from django.db import models
from django.urls import reverse
from django.utils.html import escape
from django.utils.text import capfirst
from django.utils.translation import override

from crf.definitions import FORMS, by_model
from crf.forms import form_class
from crf.models import CrfStatus, DailyFollowUp
from tests.crf.helpers import randomized
from tests.properties.saved_forms import VARIANTS, role_for, saved_form

pytestmark = pytest.mark.django_db

FRENCH = {True: "Oui", False: "Non"}


def _booleans(model: type) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.BooleanField)]


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("model", [d.model for d in FORMS], ids=lambda m: m.__name__)
def test_every_saved_yes_no_answer_reads_oui_or_non_on_the_form_page(
    model, variant, site11, role_users, client_for
):
    participant = randomized(site11, days_ago=20)
    role = role_for(model)
    client = client_for(role)
    obj = saved_form(
        model,
        participant,
        by=role_users[role],
        client=client,
        status=CrfStatus.COMPLETE,
        variant=variant,
    )
    url = reverse("crf:form_detail", args=[participant.code, by_model(model).slug, obj.pk])
    html = client.get(url).content.decode()
    shown = dict(re.findall(r'<th scope="row"[^>]*>(.*?)</th><td>(.*?)</td>', html, re.S))
    checked = 0
    for f in _booleans(model):
        value = getattr(obj, f.name)
        if value is None:
            continue
        with override("fr"):
            label = escape(capfirst(str(f.verbose_name)))
        if label in shown:
            assert shown[label] == FRENCH[value], (f.name, shown[label])
            checked += 1
    assert checked >= len(
        [f for f in _booleans(model) if f.name in form_class(by_model(model)).base_fields]
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_saved_yes_no_answer_reads_oui_or_non_in_the_grid_text_cells(
    variant, site11, role_users, client_for
):
    participant = randomized(site11, days_ago=20)
    row = saved_form(
        DailyFollowUp,
        participant,
        by=role_users["coordinator"],
        client=client_for("coordinator"),
        status=CrfStatus.COMPLETE,
        variant=variant,
    )
    # The monitor reads every row as text.
    html = client_for("monitor").get(reverse("crf:daily_grid", args=[participant.code]))
    page = html.content.decode()
    day = re.escape(row.day_date.isoformat())
    column = "".join(re.findall(rf'<td data-day="{day}">(.*?)</td>', page, re.S))
    cells = dict(
        re.findall(r'<span data-name="([a-z0-9_]+)" data-value="[^"]*">(.*?)</span>', column)
    )
    names = [f.name for f in _booleans(DailyFollowUp) if f.name in cells]
    assert len(names) == len(
        [
            f
            for f in _booleans(DailyFollowUp)
            if f.name in form_class(by_model(DailyFollowUp)).base_fields
        ]
    )
    for name in names:
        assert cells[name] == FRENCH[getattr(row, name)], name
