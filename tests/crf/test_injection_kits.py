"""An injection names only a kit the pharmacy DISPENSED to this participant, whatever the
form's status (nothing-lost issue, defects 6a and 6b). Proved through the rendered page,
as the coordinator of site 11."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.urls import reverse

from crf.models import CrfStatus, StudyDrugAdministration
from randomization.models import Kit
from tests.crf.helpers import d0_of, dispense, paris, randomized
from tests.webform import submit

pytestmark = pytest.mark.django_db

REFUSED = "was not dispensed to this participant"


def _url(participant: Any, number: int = 1) -> str:
    return reverse("crf:form_new", args=[participant.code, "injection"]) + f"?number={number}"


def _complete(participant: Any, kit: str) -> dict[str, str]:
    """What the coordinator types for injection 1 given on D1."""
    when = paris(d0_of(participant) + timedelta(days=1), 9)
    return {
        "given": "true",
        "given_at": when.strftime("%Y-%m-%dT%H:%M"),
        "kit_code": kit,
        "volume_ml": "0.50",
        "full_dose": "true",
        "injection_site": "DELTOID",
        "side": "LEFT",
    }


def _post(client: Any, participant: Any, changes: dict[str, str]) -> Any:
    client.cookies["django_language"] = "en"
    return submit(client, _url(participant), containing="kit_code", changes=changes)


def _kit_error(response: Any) -> str:
    """The error text crispy renders under the kit field ('' when there is none)."""
    html = response.content.decode()
    found = re.search(r'id="error_\d+_id_kit_code"[^>]*>(.*?)</', html, re.S)
    return unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip() if found else ""


def _saved(participant: Any) -> list[StudyDrugAdministration]:
    return list(StudyDrugAdministration.objects.filter(participant=participant))


def test_a_dispensed_kit_is_accepted_and_the_form_is_complete(site11, client_for):
    participant = randomized(site11, dispensed=False)
    kit = dispense(participant)
    response = _post(client_for("coordinator"), participant, _complete(participant, kit))
    assert response.status_code == 302, _kit_error(response)
    (row,) = _saved(participant)
    assert (row.kit_code, row.status) == (kit, CrfStatus.COMPLETE)


def test_a_kit_the_pharmacy_still_lists_to_dispense_is_refused_on_the_kit_field(site11, client_for):
    participant = randomized(site11, dispensed=False)
    (kit,) = Kit.objects.filter(participant=participant).values_list("code", flat=True)
    assert Kit.objects.get(code=kit).status == Kit.Status.ALLOCATED  # "to dispense"
    response = _post(client_for("coordinator"), participant, _complete(participant, kit))
    assert response.status_code == 200
    assert REFUSED in _kit_error(response)
    assert _saved(participant) == []


def test_another_sites_dispensed_kit_is_refused(site11, site16, client_for):
    participant = randomized(site11, dispensed=False)
    dispense(participant)
    elsewhere = randomized(site16, dispensed=False)
    foreign = dispense(elsewhere)
    response = _post(client_for("coordinator"), participant, _complete(participant, foreign))
    assert response.status_code == 200
    assert REFUSED in _kit_error(response)
    assert _saved(participant) == []


def test_a_kit_dispensed_to_another_participant_of_the_site_is_refused(site11, client_for):
    participant = randomized(site11, dispensed=False)
    dispense(participant)
    neighbour = randomized(site11, dispensed=False)
    theirs = dispense(neighbour)
    response = _post(client_for("coordinator"), participant, _complete(participant, theirs))
    assert response.status_code == 200
    assert REFUSED in _kit_error(response)
    assert _saved(participant) == []


@pytest.mark.parametrize(
    "in_progress",
    [
        pytest.param({"given_at": ""}, id="given-but-no-time-yet"),
        pytest.param({"given": "unknown", "given_at": ""}, id="given-not-answered"),
        pytest.param({"volume_ml": "", "side": ""}, id="items-missing"),
    ],
)
def test_a_typed_kit_is_checked_even_when_the_form_stays_in_progress(
    site11, client_for, in_progress
):
    participant = randomized(site11, dispensed=False)
    dispense(participant)
    changes = {**_complete(participant, "AAAAAAA"), **in_progress}
    response = _post(client_for("coordinator"), participant, changes)
    assert response.status_code == 200
    assert REFUSED in _kit_error(response)
    assert _saved(participant) == []


def test_an_empty_kit_is_fine_while_the_form_is_in_progress(site11, client_for):
    participant = randomized(site11, dispensed=False)
    changes = {**_complete(participant, ""), "given_at": ""}
    response = _post(client_for("coordinator"), participant, changes)
    assert response.status_code == 302
    (row,) = _saved(participant)
    assert (row.kit_code, row.status) == ("", CrfStatus.IN_PROGRESS)
