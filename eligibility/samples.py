"""A complete, eligible screening in model-field form (the protocol.md §6 example, P1).

Shared by the demo data and the test factories; vary it with `sample_data(**overrides)`.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from eligibility.adapter import EXCLUSION_KEYS, ScreeningData
from platinium.lib.study_time import STUDY_TIME_ZONE, paris_date

D = Decimal


def sample_data(
    *, icu_admission: datetime | None = None, eligible: bool = True, **overrides: Any
) -> ScreeningData:
    """The P1 case shifted to `icu_admission` (default 2025-03-01 10:00 Paris).

    `eligible=False` makes I4 fail (lymphocytes 1000 /mm³). Overrides: a header field
    (`age=17`), or a section (`labs={...}` merged, `sofa=[...]` replaced).
    """
    icu = icu_admission or datetime(2025, 3, 1, 10, 0, tzinfo=STUDY_TIME_ZONE)
    header: dict[str, Any] = {
        "age": 58,
        "sex": "M",
        "weight_kg": D(80),
        "hospital_admission_date": paris_date(icu - timedelta(days=2)),
        "icu_admission": icu,
        "evaluated_at": icu + timedelta(days=8, hours=6),
        "expected_icu_stay_over_10_days": True,
        "consent_obtained": True,
        "social_security_affiliation": True,
        "contraception_agreement": "not_applicable",
        "corticosteroids_given": True,
        **dict.fromkeys(EXCLUSION_KEYS, False),
    }
    data = ScreeningData(
        header=header,
        sofa=[
            {
                "icu_day": 2,
                "pao2": D(72),
                "pao2_unit": "mmHg",
                "fio2": D("0.6"),
                "respiratory_support": True,
                "platelets_g_l": D(95),
                "bilirubin": D(25),
                "bilirubin_unit": "umol/L",
                "map_mmhg": D(64),
                "dopamine_ug_kg_min": D(0),
                "dobutamine_ug_kg_min": D(0),
                "epinephrine_ug_kg_min": D(0),
                "norepinephrine_ug_kg_min": D("0.3"),
                "gcs": 9,
                "creatinine": D(180),
                "creatinine_unit": "umol/L",
                "urine_output_ml_24h": D(800),
                "respiratory_failure_due_to_neurological_failure": False,
            }
        ],
        mhla_dr=[
            {
                "ab_per_cell": 4800,
                "sampled_at": icu + timedelta(days=6, hours=22),
                "laboratory": "CHU",
            }
        ],
        lymphocytes=[
            {"value": D("0.62"), "unit": "G/L", "sampled_at": icu + timedelta(days=7, hours=20)}
        ],
        apache_ii={
            "temperature_c": D("38.2"),
            "map_mmhg": D(68),
            "heart_rate": D(112),
            "respiratory_rate": D(22),
            "fio2": D("0.4"),
            "pao2": D(85),
            "pao2_unit": "mmHg",
            "paco2": D(40),
            "paco2_unit": "mmHg",
            "arterial_ph": D("7.36"),
            "sodium_mmol_l": D(141),
            "potassium_mmol_l": D("4.1"),
            "creatinine": D(110),
            "creatinine_unit": "umol/L",
            "acute_renal_failure": False,
            "hematocrit_pct": D(31),
            "wbc_g_l": D("12.5"),
            "gcs": 11,
            "chronic_health": "none",
        },
        labs={
            "platelets_g_l": D(140),
            "ast_u_l": D(60),
            "ast_uln": D(40),
            "alt_u_l": D(45),
            "alt_uln": D(40),
            "lipase_u_l": None,
            "lipase_uln": None,
            "amylase_u_l": None,
            "amylase_uln": None,
            "creatinine": D(110),
            "creatinine_unit": "umol/L",
        },
        corticosteroids=[
            {"drug": "hydrocortisone", "daily_dose_mg": D(200), "duration_days": D(5)}
        ],
    )
    if not eligible:
        data.lymphocytes = [
            {"value": D(1000), "unit": "/mm3", "sampled_at": icu + timedelta(days=7, hours=20)}
        ]
    for key, value in overrides.items():
        if key in ("apache_ii", "labs"):
            getattr(data, key).update(value)
        elif key in ("sofa", "mhla_dr", "lymphocytes", "corticosteroids"):
            setattr(data, key, copy.deepcopy(value))
        else:
            data.header[key] = value
    return data
