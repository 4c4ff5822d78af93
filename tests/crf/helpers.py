"""Shared builders of the CRF tests: a randomized participant and valid form data."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from platinium.lib.study_time import STUDY_TIME_ZONE


def paris(day: Any, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STUDY_TIME_ZONE)


def randomized(site: Any, *, days_ago: int = 20, hour: int = 10, dispensed: bool = True) -> Any:
    """A participant randomized `days_ago` days ago at `hour` (Paris): D0 = that date.

    `dispensed`: the pharmacy has dispensed the allocated kit (an injection may name it).
    """
    from tests.randomization.factories import make_randomized_participant

    d0 = timezone.localdate() - timedelta(days=days_ago)
    participant = make_randomized_participant(site, randomized_at=paris(d0, hour))
    if dispensed:
        dispense(participant)
    return participant


def d0_of(participant: Any) -> Any:
    from randomization.selectors import randomized_at

    return timezone.localtime(randomized_at(participant)).date()


def kit_of(participant: Any) -> str:
    """The kit an injection names: the first kit dispensed to the participant (else the
    first allocated one, for tests that prove it is refused)."""
    from randomization.selectors import dispensed_kit_codes_for, kit_codes_for

    return sorted(dispensed_kit_codes_for(participant) or kit_codes_for(participant))[0]


def baseline_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "birth_month": 5,
        "birth_year": 1960,
        "sex": "M",
        "weight_kg": Decimal("80.0"),
        "weight_method": "MEASURED",
        "height_cm": 178,
        "admission_source": "EMERGENCY_DEPT",
        "admission_type": "MEDICAL",
        "main_diagnosis": "SEPSIS",
        "sepsis_at_admission": True,
        "sepsis_site": "lung",
        "mccabe": "NON_FATAL",
        "charlson_items": [],
        "charlson_none": True,
        "residence": "HOME",
    }
    data.update(overrides)
    return data


def sae_data(**overrides: Any) -> dict[str, Any]:
    """A serious adverse event (hospitalisation), known today."""
    return ae_data(
        serious=True,
        sae_hospitalisation=True,
        term="Severe haemorrhage",
        awareness_date=timezone.localdate(),
        **overrides,
    )


def daily_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "pao2_value": Decimal("80"),
        "pao2_unit": "mmHg",
        "fio2_value": Decimal("0.40"),
        "fio2_unit": "fraction",
        "respiratory_support": "INVASIVE_MV",
        "respiratory_failure_neurological": False,
        "platelets_value": Decimal("120"),
        "platelets_unit": "G/L",
        "bilirubin_value": Decimal("25"),
        "bilirubin_unit": "umol/L",
        "map_mmhg": 65,
        "norepinephrine_value": Decimal("0.05"),
        "norepinephrine_unit": "ug/kg/min",
        "norepinephrine_salt": "BASE",
        "epinephrine_value": Decimal("0"),
        "epinephrine_unit": "ug/kg/min",
        "dopamine_ug_kg_min": Decimal("0"),
        "dobutamine_ug_kg_min": Decimal("0"),
        "other_vasopressor": False,
        "gcs": 14,
        "gcs_status": "ACTUAL",
        "creatinine_value": Decimal("150"),
        "creatinine_unit": "umol/L",
        "urine_output_ml": 1500,
        "rrt": False,
        "imv": True,
        "airway": "TUBE",
        "niv": False,
        "hfno": False,
        "ecmo": False,
        "vasopressor": True,
        "antimicrobial": True,
        "cvc": True,
        "arterial_catheter": True,
        "urinary_catheter": True,
        "corticosteroids": False,
        "temperature_max_c": Decimal("38.2"),
        "new_infection_suspected": False,
        "new_adverse_event": False,
        "lst_limitation": False,
    }
    data.update(overrides)
    return data


def injection_data(participant: Any, when: datetime, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given": True,
        "given_at": when,
        "kit_code": kit_of(participant),
        "volume_ml": Decimal("0.50"),
        "full_dose": True,
        "injection_site": "DELTOID",
        "side": "LEFT",
    }
    data.update(overrides)
    return data


def ae_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "term": "Haemorrhage",
        "onset_date": timezone.localdate() - timedelta(days=2),
        "ongoing": True,
        "serious": False,
        "severity_grade": 2,
        "relationship": "NOT_RELATED",
        "action": "NOT_APPLICABLE",
        "outcome": "RECOVERING",
    }
    data.update(overrides)
    return data


def dispense(participant: Any) -> str:
    """The pharmacy dispenses the participant's allocated kit (the real service); its code."""
    from accounts.roles import Role
    from randomization.models import Kit
    from randomization.services.dispensing import dispense_kit
    from tests.randomization.factories import factory_user

    site_code = participant.site.code
    pharmacist = factory_user(f"factory-pharmacist-{site_code}", Role.PHARMACIST, site_code)
    code = (
        Kit.objects.filter(participant=participant, status=Kit.Status.ALLOCATED)
        .values_list("code", flat=True)
        .order_by("code")
        .first()
    )
    assert code is not None, f"{participant.code} has no kit to dispense"
    return dispense_kit(participant, by=pharmacist, scanned_code=code).code
