"""Round trip changes nothing on the screening page: a saved screening at each status
(draft, eligible, not eligible, incomplete, enrolled: then a correction), opened and saved
unchanged, keeps every column of the screening and of its measurement rows, and writes no
history row and no new version."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from eligibility.models import Screening
from eligibility.services import create_screening, record_consent
from tests.eligibility.factories import make_enrolled_participant, make_screening
from tests.properties.saved_forms import round_trip

pytestmark = pytest.mark.django_db

# Every lab filled (the sample leaves lipase and amylase out).
LABS = {
    "lipase_u_l": Decimal(50),
    "lipase_uln": Decimal(60),
    "amylase_u_l": Decimal(70),
    "amylase_uln": Decimal(100),
}


def _draft(site: Any, by: Any) -> Screening:
    return create_screening(site, by=by)


def _eligible(site: Any, by: Any) -> Screening:
    return make_screening(site, by=by, labs=LABS)


def _not_eligible(site: Any, by: Any) -> Screening:
    return make_screening(site, by=by, eligible=False, labs=LABS, tuberculosis=True)


def _incomplete(site: Any, by: Any) -> Screening:
    return make_screening(site, by=by, labs=LABS, weight_kg=None)


def _enrolled(site: Any, by: Any) -> Screening:
    return make_enrolled_participant(site, by=by).screening


BUILDERS = {
    Screening.Status.DRAFT: _draft,
    Screening.Status.ELIGIBLE: _eligible,
    Screening.Status.NOT_ELIGIBLE: _not_eligible,
    Screening.Status.INCOMPLETE: _incomplete,
    Screening.Status.ENROLLED: _enrolled,
}


def test_every_screening_status_has_a_builder():
    assert set(BUILDERS) == set(Screening.Status)


@pytest.mark.parametrize("status", list(BUILDERS))
def test_saving_the_screening_page_unchanged_changes_nothing(
    status, site11, role_users, client_for
):
    screening = BUILDERS[status](site11, role_users["investigator"])
    assert screening.status == status
    url = reverse("eligibility:screening_detail", args=[screening.pk])

    result = round_trip(client_for("investigator"), url, screening, containing="age")

    assert result.problems == [], "\n".join(result.problems)


@pytest.mark.parametrize("enrolled", [False, True], ids=["consented", "enrolled"])
def test_saving_the_consent_page_unchanged_changes_nothing(
    enrolled, site11, role_users, client_for
):
    by = role_users["investigator"]
    if enrolled:
        screening = make_enrolled_participant(site11, by=by).screening
    else:
        screening = make_screening(site11, by=by, labs=LABS)
        record_consent(
            screening,
            by=by,
            given_by="PROXY",
            consented_at=screening.evaluated_at - timedelta(hours=2),
            information_sheet_version="1.0",
            continuation_outcome="NOT_YET",
        )
    url = reverse("eligibility:consent", args=[screening.pk])

    result = round_trip(client_for("investigator"), url, screening, containing="given_by")

    assert result.problems == [], "\n".join(result.problems)
