"""Optimistic locking through the pages, with two users editing the same form."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from crf.models import Baseline
from crf.services import save_baseline
from tests.crf.helpers import baseline_data, randomized

pytestmark = pytest.mark.django_db


def _post_data(baseline: Baseline, **changes) -> dict:
    data = {k: v for k, v in baseline_data().items() if k != "charlson_items"}
    data = {k: ("true" if v is True else "false" if v is False else v) for k, v in data.items()}
    data.update(changes)
    return data


def test_second_save_on_a_stale_version_shows_both_values_and_keeps_the_input(
    site11, role_users, client_for
):
    participant = randomized(site11)
    baseline = save_baseline(participant, by=role_users["coordinator"], data=baseline_data()).obj
    url = reverse("crf:form_edit", args=[participant.code, "baseline", baseline.pk])
    alice, bob = client_for("coordinator"), client_for("investigator")
    assert alice.get(url).status_code == 200 and bob.get(url).status_code == 200

    first = alice.post(
        url,
        _post_data(
            baseline, height_cm="181", expected_version="1", reason_for_change="measured again"
        ),
    )
    assert first.status_code == 302
    second = bob.post(
        url,
        _post_data(
            baseline, height_cm="175", expected_version="1", reason_for_change="chart says 175"
        ),
    )
    body = second.content.decode()
    assert second.status_code == 200
    assert re.search(r"Modifié par coordinator à \d\d:\d\d depuis que vous", body)
    assert "181" in body and 'value="175"' in body  # theirs shown, mine kept
    baseline.refresh_from_db()
    assert baseline.height_cm == 181 and baseline.version == 2

    # Bob saw the difference; saving again (the form now carries version 2) wins.
    third = bob.post(
        url,
        _post_data(
            baseline, height_cm="175", expected_version="2", reason_for_change="chart says 175"
        ),
    )
    assert third.status_code == 302
    baseline.refresh_from_db()
    assert baseline.height_cm == 175 and baseline.version == 3


def test_edit_without_reason_is_refused_with_a_message(site11, role_users, client_for):
    participant = randomized(site11)
    baseline = save_baseline(participant, by=role_users["coordinator"], data=baseline_data()).obj
    url = reverse("crf:form_edit", args=[participant.code, "baseline", baseline.pk])
    response = client_for("coordinator").post(
        url, _post_data(baseline, height_cm="181", expected_version="1")
    )
    assert response.status_code == 200
    baseline.refresh_from_db()
    assert baseline.height_cm == 178
