"""An investigator follows a randomized participant through the whole course in Chromium:
five injections, ten ICU days in the grid, an infection, an SAE (vigilance e-mailed with
its PDF), the ICU discharge and the three follow-ups — then reads it all on the
participant page. The participant was randomized 100 days ago, so every window is open."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.browser.conftest import login
from tests.crf.helpers import paris

DAILY = {
    "pao2_value": "80",
    "pao2_unit": "mmHg",
    "fio2_value": "0.40",
    "fio2_unit": "fraction",
    "respiratory_support": "INVASIVE_MV",
    "respiratory_failure_neurological": "false",
    "platelets_value": "120",
    "platelets_unit": "G/L",
    "bilirubin_value": "25",
    "bilirubin_unit": "umol/L",
    "map_mmhg": "65",
    "norepinephrine_value": "0.05",
    "norepinephrine_unit": "ug/kg/min",
    "norepinephrine_salt": "BASE",
    "epinephrine_value": "0",
    "epinephrine_unit": "ug/kg/min",
    "dopamine_ug_kg_min": "0",
    "dobutamine_ug_kg_min": "0",
    "other_vasopressor": "false",
    "gcs": "14",
    "gcs_status": "ACTUAL",
    "creatinine_value": "150",
    "creatinine_unit": "umol/L",
    "urine_output_ml": "1500",
    "rrt": "false",
    "imv": "true",
    "airway": "TUBE",
    "niv": "false",
    "hfno": "false",
    "ecmo": "false",
    "vasopressor": "true",
    "antimicrobial": "true",
    "cvc": "true",
    "arterial_catheter": "true",
    "urinary_catheter": "true",
    "corticosteroids": "false",
    "temperature_max_c": "38.2",
    "new_infection_suspected": "false",
    "new_adverse_event": "false",
    "lst_limitation": "false",
}


def _fill(page: Any, values: dict[str, str], scope: str = "main form") -> None:
    """Type or choose each value, as a person would (select, checkbox or text input)."""
    for name, value in values.items():
        field = page.locator(f"{scope} [name='{name}']").first
        kind = field.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
        if kind == "select":
            field.select_option(value)
        elif kind == "checkbox":
            field.set_checked(value == "true")
        else:
            field.fill(value)


def _save(page: Any) -> None:
    page.click("main form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "/new/" not in page.url and "/edit/" not in page.url, page.inner_text("main")


def _at(day: date, hour: int = 10) -> str:
    return paris(day, hour).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def journey(browser_users: dict[str, Any]) -> dict[str, Any]:
    from crf.services import save_baseline
    from randomization.selectors import kit_codes_for
    from sites.models import Site
    from tests.crf.helpers import baseline_data, dispense
    from tests.randomization.factories import make_randomized_participant

    d0 = timezone.localdate() - timedelta(days=100)
    participant = make_randomized_participant(
        Site.objects.get(code="11"), randomized_at=paris(d0, 11)
    )
    dispense(participant)  # an injection may only name a kit the pharmacy dispensed
    save_baseline(participant, by=browser_users["investigator"], data=baseline_data())
    return {"participant": participant, "d0": d0, "kit": sorted(kit_codes_for(participant))[0]}


def test_investigator_follows_a_participant_from_injections_to_day_90(
    page, live_server, journey
) -> None:
    participant, d0, kit = journey["participant"], journey["d0"], journey["kit"]
    code, base = participant.code, live_server.url
    mail.outbox.clear()
    login(page, live_server, "investigator")

    # The participant list → the participant page (two clicks from the home page).
    page.goto(f"{base}{reverse('participants:list')}")
    page.click(f"#participant-list a:text('{code}')")
    page.wait_for_url(f"{base}{reverse('crf:participant', args=[code])}")
    assert page.locator("[data-form='INJ1']").get_attribute("data-form-status") == "overdue"

    # The ICU stay (admission before D0), so the daily forms have a stay to belong to.
    page.goto(f"{base}{reverse('crf:form_new', args=[code, 'icu-stay'])}")
    _fill(page, {"admitted_at": _at(d0 - timedelta(days=8), 9)})
    _save(page)

    # Five injections, D1 to D9, each from the participant page link.
    for number, day in enumerate((1, 3, 5, 7, 9), start=1):
        page.goto(f"{base}{reverse('crf:participant', args=[code])}")
        page.click(f"[data-form='INJ{number}']")
        _fill(
            page,
            {
                "given": "true",
                "given_at": _at(d0 + timedelta(days=day)),
                "kit_code": kit,
                "volume_ml": "0.50",
                "full_dose": "true",
                "injection_site": "DELTOID",
                "side": "LEFT" if number % 2 else "RIGHT",
            },
        )
        _save(page)

    # Ten ICU days in the grid: the first typed, the next ones "same as yesterday".
    grid = f"{base}{reverse('crf:daily_grid', args=[code])}"
    for offset in range(10):
        page.goto(grid)
        row = f"row-{(d0 + timedelta(days=offset)).isoformat()}"
        if offset == 0:
            for name, value in DAILY.items():
                field = page.locator(f"[form='{row}'][name='{name}']")
                if field.evaluate("e => e.tagName") == "SELECT":
                    field.select_option(value)
                else:
                    field.fill(value)
        else:
            page.click(f"[data-copy-previous='{row}']")
        page.click(f"form#{row} button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert f"J{offset} enregistré" in page.inner_text(".alert-success, .messages, main")

    # An infection on D6 and an SAE on D8.
    page.goto(f"{base}{reverse('crf:form_new', args=[code, 'infection'])}")
    _fill(
        page,
        {
            "onset_date": (d0 + timedelta(days=6)).isoformat(),
            "location": "STUDY_ICU",
            "category": "PN",
            "pneumonia_level": "PN2",
            "pneumonia_criteria_met": "true",
            "septic_shock": "false",
            "microbiologically_documented": "true",
        },
    )
    _save(page)
    sae_day = (d0 + timedelta(days=8)).isoformat()
    page.goto(f"{base}{reverse('crf:form_new', args=[code, 'adverse-event'])}")
    _fill(
        page,
        {
            "term": "Septic shock",
            "onset_date": sae_day,
            "ongoing": "false",
            "end_date": (d0 + timedelta(days=12)).isoformat(),
            "serious": "true",
            "sae_life_threatening": "true",
            "severity_grade": "4",
            "relationship": "NOT_RELATED",
            "action": "DOSE_NOT_CHANGED",
            "outcome": "RECOVERED",
            "awareness_date": sae_day,
        },
    )
    _save(page)
    sent = [m for m in mail.outbox if any(a[0].endswith(".pdf") for a in m.attachments)]
    assert sent, [m.subject for m in mail.outbox]
    assert sent[0].attachments[0][2] == "application/pdf"
    assert code in sent[0].subject + sent[0].body

    # ICU discharge on D9 (the stay's discharge form), alive, to the ward.
    page.goto(f"{base}{reverse('crf:participant', args=[code])}")
    page.click("[data-form='ICU_DISCHARGE']")
    _fill(
        page,
        {
            "discharged_at": _at(d0 + timedelta(days=9), 16),
            "vital_status": "ALIVE",
            "destination": "WARD_SAME_HOSPITAL",
        },
    )
    _save(page)

    # The three follow-ups, alive, D90 with the EQ-5D-5L.
    for visit, day in (("FU_D30", 30), ("FU_D60", 60), ("FU_D90", 90)):
        page.goto(f"{base}{reverse('crf:participant', args=[code])}")
        page.click(f"[data-form='{visit}']")
        values = {
            "contact_date": (d0 + timedelta(days=day)).isoformat(),
            "source": "PATIENT_PHONE",
            "vital_status": "ALIVE",
            "last_known_alive_date": (d0 + timedelta(days=day)).isoformat(),
            "residence": "HOME",
            "readmission": "false",
            "new_infection": "false",
            "new_sae": "false",
        }
        if visit == "FU_D90":
            values.update(
                {
                    "eq5d_mobility": "2",
                    "eq5d_self_care": "1",
                    "eq5d_usual_activities": "2",
                    "eq5d_pain": "2",
                    "eq5d_anxiety": "1",
                    "eq5d_vas": "70",
                    "eq5d_respondent": "PATIENT",
                }
            )
        _fill(page, values)
        _save(page)

    # The participant page now shows the whole course.
    page.goto(f"{base}{reverse('crf:participant', args=[code])}")
    status = {
        form: page.locator(f"[data-form='{form}']").first.get_attribute("data-form-status")
        for form in ("INJ1", "INJ5", "ICU_DISCHARGE", "FU_D30", "FU_D60", "FU_D90")
    }
    assert set(status.values()) == {"complete"}, status
    daily = page.locator("[data-form='DAILY']")
    assert daily.count() == 10
    assert page.locator("#log-adverse-events .sae-badge").count() == 1
    assert page.locator("#log-infections tbody tr").count() == 1
