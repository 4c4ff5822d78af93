"""Derived outcomes through the models, on hand-checked participants."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from crf.derived import derived_outcomes
from crf.services import (
    mark_entered_in_error,
    save_d10_biology,
    save_daily,
    save_follow_up,
    save_hospital_discharge,
    save_icu_stay,
    save_infection,
    save_injection,
)
from randomization.selectors import randomized_at
from tests.crf.helpers import d0_of, daily_data, injection_data, paris, randomized

pytestmark = pytest.mark.django_db


def test_survivor_hand_checked(site11, role_users):
    by, dm = role_users["coordinator"], role_users["data_manager"]
    p = randomized(site11, days_ago=100)  # T_R = D0 10:00 Paris
    d0 = d0_of(p)

    def day(n, hour=10):
        return paris(d0 + timedelta(days=n), hour)

    # ICU: D-8 08:00 → D5 14:00 = 13 d 6 h (13.25 → 13.3); after T_R 5 d 4 h (5.17 → 5.2).
    save_icu_stay(
        p,
        by=by,
        data={
            "admitted_at": day(-8, 8),
            "discharged_at": day(5, 14),
            "vital_status": "ALIVE",
            "destination": "WARD_SAME_HOSPITAL",
        },
    )
    # Invasive MV on D0–D3, so D1–D3 count: 3 MV days in D1..D28 (4 MV days in all);
    # RRT on D2–D3; vasopressor on D0–D2; antimicrobial on D0, D3 and D4.
    for n in range(5):
        save_daily(
            p,
            day_date=d0 + timedelta(days=n),
            by=by,
            data=daily_data(
                imv=n <= 3,
                rrt=n in (2, 3),
                vasopressor=n <= 2,
                antimicrobial=n in (0, 3, 4),
            ),
        )
    # D5: a voided form with every support counts for none of them.
    voided_day = save_daily(
        p,
        day_date=d0 + timedelta(days=5),
        by=by,
        data=daily_data(imv=True, rrt=True, vasopressor=True, antimicrobial=True),
    ).obj
    mark_entered_in_error(voided_day, by=by, reason="wrong participant")
    for number, n in ((1, 1), (2, 3), (3, 5)):
        save_injection(p, number=number, by=by, data=injection_data(p, day(n)))
    save_d10_biology(
        p,
        by=dm,
        data={
            "sample_taken": True,
            "sampled_at": day(10, 8),
            "mhla_dr_abc": 9000,
            "method": "STANDARDISED_FLOW",
            "laboratory": "LAB",
            "lymphocytes_value": "1200",
            "lymphocytes_unit": "/mm3",
        },
    )
    base = {
        "location": "STUDY_ICU",
        "category": "UTI",
        "uti_type": "UTI_B",
        "septic_shock": False,
        "microbiologically_documented": False,
    }
    save_infection(p, by=by, data={**base, "onset_date": d0 + timedelta(days=2)})
    voided = save_infection(
        p, by=by, data={**base, "category": "SST", "onset_date": d0 + timedelta(days=40)}
    ).obj
    mark_entered_in_error(voided, by=by, reason="duplicate")
    save_hospital_discharge(
        p,
        by=by,
        data={
            "admission_date": d0 - timedelta(days=10),
            "discharge_date": d0 + timedelta(days=20),
            "transfer_counted": False,
            "vital_status": "ALIVE",
            "destination": "HOME",
        },
    )
    save_follow_up(
        p,
        visit="FU_D90",
        by=by,
        data={
            "contact_date": d0 + timedelta(days=92),
            "source": "PATIENT_PHONE",
            "vital_status": "ALIVE",
            "last_known_alive_date": d0 + timedelta(days=92),
            "readmission": False,
            "new_infection": False,
            "new_sae": False,
            "residence": "HOME",
        },
    )

    out = derived_outcomes(p, randomized_at(p))
    assert out.icu_los.total_days == Decimal("13.3")
    assert out.icu_los.after_randomization_days == Decimal("5.2")
    assert out.icu_los.calendar_days_after_randomization == 6
    assert (out.hospital_los.total_days, out.hospital_los.after_randomization_days) == (30, 20)
    assert out.icu_mortality is False and out.d90_mortality is False
    assert out.infections_by_d90 == 1  # the voided episode does not count
    assert (out.ventilator_free_days_d28, out.ventilator_free_days_d90) == (25, 87)
    assert (out.icu_free_days_d28, out.icu_free_days_d90) == (23, 85)  # D1–D5 in the ICU
    assert out.immune_restoration.restored is True
    assert (out.exposure.injections_given, out.exposure.kits_used) == (3, 1)
    resources = out.resource_use
    assert (resources.imv_days, resources.rrt_days) == (4, 2)
    assert (resources.vasopressor_days, resources.antibiotic_days) == (3, 3)


def test_death_in_icu_hand_checked(site11, role_users):
    by = role_users["coordinator"]
    p = randomized(site11, days_ago=40)
    d0 = d0_of(p)
    death = paris(d0 + timedelta(days=6), 3)
    save_icu_stay(
        p,
        by=by,
        data={
            "admitted_at": paris(d0 - timedelta(days=8)),
            "discharged_at": death,
            "vital_status": "DEAD",
            "death_at": death,
            "death_cause": "REFRACTORY_SHOCK",
            "death_after_lst_withdrawal": False,
        },
    )
    out = derived_outcomes(p, randomized_at(p))
    assert out.icu_mortality is True and out.d90_mortality is True
    assert out.ventilator_free_days_d28 == 0 and out.icu_free_days_d90 == 0
    assert out.immune_restoration.restored is None  # no D10 sample
    assert out.infections_by_d90 == 0


def test_unknown_survival_leaves_free_days_unknown(site11):
    p = randomized(site11, days_ago=5)
    out = derived_outcomes(p, randomized_at(p))
    assert out.ventilator_free_days_d28 is None and out.d90_mortality is None
    assert out.icu_los is None
