"""A valid screening case (protocol.md §6 example, eligible) to vary one field at a time."""

import copy
from typing import Any

_BASE: dict[str, Any] = {
    "case_id": "BASE",
    "age": 58,
    "sex": "M",
    "weight_kg": 80,
    "icu_admission": "2025-03-01T10:00",
    "evaluated_at": "2025-03-09T16:00",
    "inclusion": {
        "expected_icu_stay_over_10_days": True,
        "consent_obtained": True,
        "social_security_affiliation": True,
        "contraception_agreement": "not_applicable",
    },
    "sofa": [
        {
            "date": "2025-03-02",
            "pao2_mmhg": 72,
            "fio2": 0.6,
            "respiratory_support": True,
            "platelets_g_l": 95,
            "bilirubin_umol_l": 25,
            "map_mmhg": 64,
            "dopamine_ug_kg_min": 0,
            "dobutamine_ug_kg_min": 0,
            "epinephrine_ug_kg_min": 0,
            "norepinephrine_ug_kg_min": 0.3,
            "gcs": 9,
            "creatinine_umol_l": 180,
            "urine_output_ml_24h": 800,
            "respiratory_failure_due_to_neurological_failure": False,
        }
    ],
    "mhla_dr": [{"sampled_at": "2025-03-08T08:00", "ab_per_cell": 4800}],
    "lymphocytes": [{"sampled_at": "2025-03-09T06:00", "value": 0.62, "unit": "G/L"}],
    "apache_ii": {
        "temperature_c": 38.2,
        "map_mmhg": 68,
        "heart_rate": 112,
        "respiratory_rate": 22,
        "fio2": 0.4,
        "pao2_mmhg": 85,
        "paco2_mmhg": 40,
        "arterial_ph": 7.36,
        "sodium_mmol_l": 141,
        "potassium_mmol_l": 4.1,
        "creatinine_umol_l": 110,
        "acute_renal_failure": False,
        "hematocrit_pct": 31,
        "wbc_g_l": 12.5,
        "gcs": 11,
        "chronic_health": "none",
    },
    "labs": {
        "platelets_g_l": 140,
        "ast_u_l": 60,
        "ast_uln": 40,
        "alt_u_l": 45,
        "alt_uln": 40,
        "lipase_u_l": None,
        "lipase_uln": None,
        "amylase_u_l": None,
        "amylase_uln": None,
        "creatinine_umol_l": 110,
    },
    "corticosteroids": [{"drug": "hydrocortisone", "daily_dose_mg": 200, "duration_days": 5}],
    "exclusions": {
        "uncontrolled_secondary_infection": False,
        "other_trial_within_30_days": False,
        "chemo_or_radiotherapy_within_6_weeks": False,
        "autoimmune_disease": False,
        "organ_or_bone_marrow_transplant": False,
        "hematologic_malignancy": False,
        "hepatitis_c": False,
        "hiv_stage_c_within_12_months": False,
        "under_legal_protection": False,
        "tuberculosis": False,
        "chronic_hepatitis_b": False,
        "non_steroid_immunosuppressive_drug": False,
        "traumatic_brain_or_spinal_injury": False,
        "pregnant_or_breastfeeding": False,
        "hypersensitivity_ifn_gamma_excipients_latex": False,
        "suspected_acute_pancreatitis": False,
        "acute_ecg_abnormality": False,
        "consenting_person_unable_to_understand": False,
        "deprived_of_liberty": False,
        "study_team_member_or_relative": False,
    },
}


def base_case() -> dict[str, Any]:
    """A fresh deep copy of the eligible example case (SOFA 15, APACHE II 11, eGFR 67.1)."""
    return copy.deepcopy(_BASE)
