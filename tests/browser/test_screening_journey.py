"""An investigator screens a patient from scratch in Chromium, watches the live checklist
turn green, records consent, signs the eligibility with the password and gets the code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eligibility.adapter import EXCLUSION_KEYS
from tests.browser.conftest import PASSWORD, login

CASE = json.loads(
    (Path(__file__).resolve().parent.parent / "fixtures" / "eligibility" / "cases.json").read_text()
)[0]
SOFA_FIELDS = {
    "pao2": "72",
    "fio2": "0.6",
    "platelets_g_l": "95",
    "bilirubin": "25",
    "map_mmhg": "64",
    "dopamine_ug_kg_min": "0",
    "dobutamine_ug_kg_min": "0",
    "epinephrine_ug_kg_min": "0",
    "norepinephrine_ug_kg_min": "0.3",
    "gcs": "9",
    "creatinine": "180",
    "urine_output_ml_24h": "800",
}
APACHE = {
    "temperature_c": "38.2",
    "map_mmhg": "68",
    "heart_rate": "112",
    "respiratory_rate": "22",
    "fio2": "0.4",
    "pao2": "85",
    "paco2": "40",
    "arterial_ph": "7.36",
    "sodium_mmol_l": "141",
    "potassium_mmol_l": "4.1",
    "creatinine": "110",
    "hematocrit_pct": "31",
    "wbc_g_l": "12.5",
    "gcs": "11",
}
LABS = {
    "platelets_g_l": "140",
    "ast_u_l": "60",
    "ast_uln": "40",
    "alt_u_l": "45",
    "alt_uln": "40",
    "creatinine": "110",
}


def _criterion(page: Any, code: str) -> str:
    return page.get_attribute(f"#criterion-{code}", "data-status")


def _wait_status(page: Any, code: str, status: str) -> None:
    page.wait_for_selector(f'#criterion-{code}[data-status="{status}"]')


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_investigator_screens_consents_and_enrols_a_patient(
    page: Any, live_server: Any, browser_users: dict
) -> None:
    login(page, live_server, "investigator")
    page.goto(f"{live_server.url}/screening/new/")
    assert _criterion(page, "I1") == "missing"

    page.fill("#id_age", "58")
    page.select_option("#id_sex", "M")
    page.fill("#id_weight_kg", "80")
    page.fill("#id_hospital_admission_date", "2025-02-28")
    page.fill("#id_icu_admission", "2025-03-01T10:00")
    page.fill("#id_evaluated_at", "2025-03-09T16:00")
    page.locator("#id_evaluated_at").dispatch_event("change")
    _wait_status(page, "I1", "met")  # the live checklist answers without saving

    for name, value in SOFA_FIELDS.items():
        page.fill(f"#id_sofa-1-{name}", value)
    page.select_option("#id_sofa-1-respiratory_support", "true")
    page.select_option("#id_sofa-1-respiratory_failure_due_to_neurological_failure", "false")
    _wait_status(page, "I3", "met")

    page.fill("#id_mhla-0-ab_per_cell", "4800")
    page.fill("#id_mhla-0-sampled_at", "2025-03-08T08:00")
    page.fill("#id_lym-0-value", "0.62")
    page.fill("#id_lym-0-sampled_at", "2025-03-09T06:00")
    page.locator("#id_lym-0-sampled_at").dispatch_event("change")
    _wait_status(page, "I4", "met")

    for name, value in APACHE.items():
        page.fill(f"#id_apache-{name}", value)
    page.select_option("#id_apache-acute_renal_failure", "false")
    page.select_option("#id_apache-chronic_health", "none")
    for name, value in LABS.items():
        page.fill(f"#id_labs-{name}", value)
    page.select_option("#id_corticosteroids_given", "false")
    for key in (
        "expected_icu_stay_over_10_days",
        "consent_obtained",
        "social_security_affiliation",
    ):
        page.select_option(f"#id_{key}", "true")
    page.select_option("#id_contraception_agreement", "not_applicable")
    for key in EXCLUSION_KEYS:
        page.select_option(f"#id_{key}", "false")

    page.wait_for_selector('#checklist-outcome[data-status="eligible"]')
    assert page.locator('#criteria tr[data-status="met"]').count() == 31
    assert page.text_content("#score-apache").strip() == "11"

    page.click("#save-screening")
    page.wait_for_selector("#screening-status")
    assert "status-eligible" in page.get_attribute("#screening-status", "class")

    page.click("#consent-link")
    page.select_option("#id_given_by", "PATIENT")
    page.fill("#id_consented_at", "2025-03-09T15:00")
    page.select_option("#id_information_sheet_version", "1.0")
    page.click("#save-consent")
    page.wait_for_selector("#enrol-link")

    page.click("#enrol-link")
    assert "Je confirme que ce patient remplit tous les critères d'éligibilité" in (
        page.text_content("#signature-meaning")
    )
    page.fill("#id_password", "not-my-password")
    page.click("#sign-enrol")
    page.wait_for_selector("#enrol-errors")
    page.fill("#id_password", PASSWORD)
    page.click("#sign-enrol")
    page.wait_for_selector("#participant-code")
    assert "11-001" in page.text_content("#participant-code")
