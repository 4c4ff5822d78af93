"""Daily SOFA from the stored standard-unit values (eligibility.scores, protocol.md §5)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crf import units
from crf.models.daily import SOFA_RESPIRATORY_SUPPORT
from eligibility.scores import SofaInputs, sofa

COMPONENT_FIELDS = {
    "respiration": "sofa_respiration",
    "coagulation": "sofa_coagulation",
    "liver": "sofa_liver",
    "cardiovascular": "sofa_cardiovascular",
    "cns": "sofa_cns",
    "renal": "sofa_renal",
}


def standard_values(values: Mapping[str, Any], weight_kg: Decimal | None) -> dict[str, Any]:
    """Standard-unit copies of the daily form's entered values."""
    return {
        "pao2_mmhg": units.pressure_to_mmhg(values.get("pao2_value"), values.get("pao2_unit", "")),
        "fio2": units.fio2_to_fraction(values.get("fio2_value"), values.get("fio2_unit", "")),
        "platelets_g_l": units.count_to_g_l(
            values.get("platelets_value"), values.get("platelets_unit", "")
        ),
        "bilirubin_umol_l": units.bilirubin_to_umol_l(
            values.get("bilirubin_value"), values.get("bilirubin_unit", "")
        ),
        "creatinine_umol_l": units.creatinine_to_umol_l(
            values.get("creatinine_value"), values.get("creatinine_unit", "")
        ),
        "norepinephrine_ug_kg_min": units.vasopressor_to_ug_kg_min(
            values.get("norepinephrine_value"), values.get("norepinephrine_unit", ""), weight_kg
        ),
        "epinephrine_ug_kg_min": units.vasopressor_to_ug_kg_min(
            values.get("epinephrine_value"), values.get("epinephrine_unit", ""), weight_kg
        ),
        "lymphocytes_g_l": units.count_to_g_l(
            values.get("lymphocytes_value"), values.get("lymphocytes_unit", "")
        ),
    }


def _support(values: Mapping[str, Any]) -> bool | None:
    code = values.get("respiratory_support")
    if code:
        return code in SOFA_RESPIRATORY_SUPPORT
    if values.get("imv") or values.get("niv") or values.get("ecmo"):
        return True
    return None


def compute(values: Mapping[str, Any]) -> dict[str, int | None]:
    """SOFA components and total from standard values; a missing input never scores 0."""
    score = sofa(
        SofaInputs(
            pao2_mmhg=values.get("pao2_mmhg"),
            fio2=values.get("fio2"),
            respiratory_support=_support(values),
            platelets_g_l=values.get("platelets_g_l"),
            bilirubin_umol_l=values.get("bilirubin_umol_l"),
            map_mmhg=None if values.get("map_mmhg") is None else Decimal(values["map_mmhg"]),
            dopamine_ug_kg_min=values.get("dopamine_ug_kg_min"),
            dobutamine_ug_kg_min=values.get("dobutamine_ug_kg_min"),
            epinephrine_ug_kg_min=values.get("epinephrine_ug_kg_min"),
            norepinephrine_ug_kg_min=values.get("norepinephrine_ug_kg_min"),
            gcs=values.get("gcs"),
            creatinine_umol_l=values.get("creatinine_umol_l"),
            urine_output_ml_24h=None
            if values.get("urine_output_ml") is None
            else Decimal(values["urine_output_ml"]),
            respiratory_failure_due_to_neurological_failure=values.get(
                "respiratory_failure_neurological"
            ),
        )
    )
    out: dict[str, int | None] = {
        field: score.components[name] for name, field in COMPONENT_FIELDS.items()
    }
    out["sofa_total"] = score.total
    return out
