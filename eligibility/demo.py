"""Demo screening logs at sites 11 and 16 (called by `manage.py seed_demo`; idempotent).

A realistic mix: screen failures for different reasons, incomplete screenings, eligible
patients awaiting enrolment, and enrolled participants not yet randomized (the
randomization demo randomizes some of them and must leave at least three).
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from eligibility.models import Screening
from eligibility.samples import sample_data
from eligibility.services import create_screening, enrol, record_consent
from sites.models import Site

D = Decimal
LOW_SOFA_DAY = {
    "icu_day": 2,
    "pao2": D(90),
    "pao2_unit": "mmHg",
    "fio2": D("0.5"),
    "respiratory_support": True,
    "platelets_g_l": D(120),
    "bilirubin": D(15),
    "bilirubin_unit": "umol/L",
    "map_mmhg": D(72),
    "dopamine_ug_kg_min": D(0),
    "dobutamine_ug_kg_min": D(0),
    "epinephrine_ug_kg_min": D(0),
    "norepinephrine_ug_kg_min": D(0),
    "gcs": 14,
    "creatinine": D(95),
    "creatinine_unit": "umol/L",
    "urine_output_ml_24h": D(1500),
    "respiratory_failure_due_to_neurological_failure": False,
}
# Each kind: sample_data overrides (the engine decides the status; these are the causes).
KINDS: dict[str, dict[str, Any]] = {
    "eligible": {},
    "I1": {"age": 17},
    "I3": {"sofa": [LOW_SOFA_DAY]},
    "I4": {"eligible": False},
    "E1": {"uncontrolled_secondary_infection": True},
    "E4": {
        "apache_ii": {
            "temperature_c": D("39.4"),
            "map_mmhg": D(48),
            "heart_rate": D(145),
            "arterial_ph": D("7.12"),
            "gcs": 5,
            "chronic_health": "nonoperative",
        }
    },
    "E13": {
        "weight_kg": D(70),
        "corticosteroids": [
            {"drug": "methylprednisolone", "daily_dose_mg": D(80), "duration_days": D(10)}
        ],
    },
    "E18": {"labs": {"ast_u_l": D(300)}},
    "E19": {
        "suspected_acute_pancreatitis": True,
        "labs": {"lipase_u_l": D(260), "lipase_uln": D(60)},
    },
    "incomplete_alt": {"labs": {"alt_u_l": None}},
    "incomplete_mhla": {"mhla_dr": []},
}
# site code → (investigator username, kinds in screening order, number to enrol)
PLAN: dict[str, tuple[str, list[str], int]] = {
    "11": (
        "demo-investigator",
        [
            "eligible",
            "I4",
            "E13",
            "eligible",
            "I1",
            "eligible",
            "incomplete_alt",
            "E4",
            "eligible",
            "I3",
            "E18",
            "eligible",
            "E19",
            "eligible",
            "incomplete_mhla",
            "I4",
        ],
        5,
    ),
    "16": (
        "demo-investigator-nantes",
        [
            "I4",
            "eligible",
            "E19",
            "eligible",
            "E1",
            "I3",
            "eligible",
            "incomplete_alt",
            "E13",
            "eligible",
            "E18",
            "I4",
            "E4",
            "eligible",
        ],
        4,
    ),
}


def seed(*, users: dict[str, Any], rng: random.Random, stdout: Any) -> None:
    now = timezone.now()
    for code, (username, kinds, to_enrol) in PLAN.items():
        site = Site.objects.get(code=code)
        if Screening.objects.filter(site=site).exists():
            continue  # idempotent: this site's log is already seeded
        investigator = users[username]
        enrolled = 0
        start = now - timedelta(days=12 + 9 * len(kinds))
        for index, kind in enumerate(kinds):
            icu = start + timedelta(days=9 * index, hours=rng.randint(0, 20))
            overrides = dict(KINDS[kind])
            data = sample_data(icu_admission=icu, **overrides)
            data.header["age"] = overrides.get("age", rng.randint(32, 84))
            data.header["sex"] = rng.choice(["M", "F"])
            screening = create_screening(site, by=investigator, data=data)
            if screening.status != Screening.Status.ELIGIBLE:
                continue
            consent_kind = rng.choice(["PATIENT", "PROXY", "PROXY", "LEGAL_REPRESENTATIVE"])
            record_consent(
                screening,
                by=investigator,
                given_by=consent_kind,
                consented_at=screening.evaluated_at - timedelta(hours=2),
                information_sheet_version="1.0",
                continuation_outcome="" if consent_kind == "PATIENT" else "NOT_YET",
            )
            if enrolled < to_enrol:
                enrol(screening, by=investigator, password=DEMO_PASSWORD)
                enrolled += 1
        stdout.write(f"Screening log of site {code}: {len(kinds)} screenings, {enrolled} enrolled")
