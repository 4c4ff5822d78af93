"""Every worked example (tests/fixtures/eligibility) entered through the web form.

The stored status, failed/missing codes and scores must equal expected.json, i.e. what
`evaluate_eligibility` prints for the same case: the form and the command share one path.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from eligibility.engine import evaluate_json
from eligibility.models import Screening
from tests.eligibility.webform import post_data

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "eligibility"
CASES = json.loads((EXAMPLES / "cases.json").read_text())
EXPECTED = {e["case_id"]: e for e in json.loads((EXAMPLES / "expected.json").read_text())}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["case_id"])
def test_public_example_through_the_web_form(case: dict[str, Any], client_for: Any) -> None:
    client = client_for("investigator")
    response = client.post(reverse("eligibility:screening_create"), post_data(case))
    assert response.status_code == 302, response.content.decode()[:3000]
    screening = Screening.objects.get()
    expected = EXPECTED[case["case_id"]]
    assert screening.status == expected["status"]
    assert screening.failed_codes == expected["failed"]
    assert screening.missing_codes == expected["missing"]
    scores = expected["scores"]
    assert screening.sofa_first_week_max == scores["sofa_first_week_max"]
    assert screening.apache_ii_total == scores["apache_ii"]
    egfr = scores["egfr"]
    assert screening.egfr == (None if egfr is None else Decimal(str(egfr)))


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=lambda c: c["case_id"])
def test_live_checklist_agrees_with_the_command(case: dict[str, Any], client_for: Any) -> None:
    client = client_for("coordinator")
    response = client.post(reverse("eligibility:checklist_new"), post_data(case))
    assert response.status_code == 200
    html = response.content.decode()
    expected = evaluate_json(case)
    assert f'data-status="{expected["status"]}"' in html
    for code in expected["failed"]:
        assert f'id="criterion-{code}" data-status="failed"' in html
    for code in expected["missing"]:
        assert f'id="criterion-{code}" data-status="missing"' in html
    assert html.count('data-status="met"') == 31 - len(expected["failed"]) - len(
        expected["missing"]
    )
