"""Every select of every CRF form page offers its empty choice as "—" (as the Yes/No
selects do), never Django's "---------": a unit not yet picked reads as nothing picked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crf import forms as crf_forms
from crf.definitions import FORMS
from tests.crf.helpers import d0_of, randomized
from tests.properties.saved_forms import new_url, role_for

pytestmark = pytest.mark.django_db

DJANGO_DASHES = "---------"
EMPTY_OPTION = re.compile(r'<option value=""[^>]*>([^<]*)</option>')


def _empty_options(client, model, participant) -> list[str]:
    page = client.get(new_url(model, participant, d0_of(participant) + timedelta(days=2)))
    assert page.status_code == 200, (model.__name__, page.status_code)
    return EMPTY_OPTION.findall(page.content.decode())


@pytest.mark.parametrize("model", [d.model for d in FORMS if d.has_page], ids=lambda m: m.__name__)
def test_every_empty_choice_reads_a_dash(model, site11, client_for):
    participant = randomized(site11, days_ago=20)
    labels = _empty_options(client_for(role_for(model)), model, participant)
    assert DJANGO_DASHES not in labels
    assert set(labels) <= {crf_forms.NOT_ANSWERED}


def test_the_daily_form_has_empty_unit_choices_to_check(site11, client_for, monkeypatch):
    """Negative control: the daily form has unit selects with an empty choice; with the
    renaming switched off, the check above sees Django's dashes."""
    from crf.definitions import by_slug

    participant = randomized(site11, days_ago=20)
    model = by_slug("daily").model
    client = client_for(role_for(model))
    assert crf_forms.NOT_ANSWERED in _empty_options(client, model, participant)
    crf_forms.form_class.cache_clear()
    monkeypatch.setattr(crf_forms, "_name_the_empty_choice", lambda field: None)
    try:
        assert DJANGO_DASHES in _empty_options(client, model, participant)
    finally:
        crf_forms.form_class.cache_clear()
