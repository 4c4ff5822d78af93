"""Cross-form rules: injections, ICU stays, death, follow-up, infections."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from crf.models import CrfStatus, DataQuery, Death, StudyDrugAdministration
from crf.services import (
    CrfRefused,
    save_daily,
    save_follow_up,
    save_hospital_discharge,
    save_icu_stay,
    save_infection,
    save_injection,
)
from participants.models import Participant
from tests.crf.helpers import d0_of, daily_data, injection_data, paris, randomized

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(site11):
    return randomized(site11, days_ago=100)


@pytest.fixture
def by(role_users):
    return role_users["coordinator"]


def _day(participant, n, hour=10):
    return paris(d0_of(participant) + timedelta(days=n), hour)


def test_injection_on_d1_is_saved_complete(participant, by):
    result = save_injection(
        participant, number=1, by=by, data=injection_data(participant, _day(participant, 1))
    )
    assert result.obj.status == CrfStatus.COMPLETE and result.obj.study_day == 1


def test_injection_on_d10_is_refused(participant, by):
    with pytest.raises(CrfRefused, match="from D1 to D9"):
        save_injection(
            participant, number=5, by=by, data=injection_data(participant, _day(participant, 10))
        )
    assert not StudyDrugAdministration.objects.exists()


def test_two_injections_on_one_day_are_refused(participant, by):
    save_injection(
        participant, number=1, by=by, data=injection_data(participant, _day(participant, 1, 8))
    )
    with pytest.raises(CrfRefused, match="same day"):
        save_injection(
            participant, number=2, by=by, data=injection_data(participant, _day(participant, 1, 20))
        )


def test_kit_not_dispensed_to_the_participant_is_refused(participant, by):
    with pytest.raises(CrfRefused, match="was not dispensed to this participant"):
        save_injection(
            participant,
            number=1,
            by=by,
            data=injection_data(participant, _day(participant, 1), kit_code="ZZZZ"),
        )


def test_short_interval_is_saved_and_flagged(participant, by):
    save_injection(
        participant, number=1, by=by, data=injection_data(participant, _day(participant, 1, 8))
    )
    result = save_injection(
        participant, number=2, by=by, data=injection_data(participant, _day(participant, 2, 14))
    )
    assert any("less than 36 h" in f.english for f in result.warnings)
    assert DataQuery.objects.filter(object_id=result.obj.pk, field="given_at").exists()


def test_not_given_needs_a_reason_and_clears_the_dose_fields(participant, by):
    result = save_injection(
        participant,
        number=3,
        by=by,
        data={"given": False, "kit_code": "X", "volume_ml": Decimal("0.5")},
    )
    assert result.obj.status == CrfStatus.IN_PROGRESS
    assert result.obj.kit_code == "" and result.obj.volume_ml is None


def test_daily_form_after_icu_discharge_is_refused_and_a_readmission_reopens(participant, by):
    save_icu_stay(
        participant,
        by=by,
        data={
            "admitted_at": _day(participant, -8),
            "discharged_at": _day(participant, 3),
            "vital_status": "ALIVE",
            "destination": "WARD_SAME_HOSPITAL",
        },
    )
    with pytest.raises(CrfRefused, match="not in the ICU"):
        save_daily(
            participant, day_date=d0_of(participant) + timedelta(days=5), by=by, data=daily_data()
        )
    save_icu_stay(
        participant,
        by=by,
        data={
            "admitted_at": _day(participant, 5, 9),
            "discharged_at": _day(participant, 8),
            "vital_status": "ALIVE",
            "destination": "HOME",
        },
    )
    row = save_daily(
        participant, day_date=d0_of(participant) + timedelta(days=5), by=by, data=daily_data()
    ).obj
    assert row.study_day == 5


def test_discharge_before_admission_is_refused(participant, by):
    with pytest.raises(CrfRefused, match="cannot be before the admission"):
        save_icu_stay(
            participant,
            by=by,
            data={"admitted_at": _day(participant, 2), "discharged_at": _day(participant, 1)},
        )


def test_discharge_before_the_last_daily_form_is_refused(participant, by):
    stay = save_icu_stay(participant, by=by, data={"admitted_at": _day(participant, -8)}).obj
    save_daily(
        participant, day_date=d0_of(participant) + timedelta(days=4), by=by, data=daily_data()
    )
    with pytest.raises(CrfRefused, match="daily ICU form exists"):
        save_icu_stay(
            participant,
            by=by,
            instance=stay,
            expected_version=stay.version,
            reason="discharge",
            data={
                "admitted_at": stay.admitted_at,
                "discharged_at": _day(participant, 2),
                "vital_status": "ALIVE",
                "destination": "HOME",
            },
        )


def test_death_in_icu_records_the_death_and_the_participant_status(participant, by):
    at = _day(participant, 6, 3)
    save_icu_stay(
        participant,
        by=by,
        data={
            "admitted_at": _day(participant, -8),
            "discharged_at": at,
            "vital_status": "DEAD",
            "death_at": at,
            "death_cause": "MULTI_ORGAN_FAILURE",
            "death_after_lst_withdrawal": True,
        },
    )
    death = Death.objects.get(participant=participant)
    assert death.death_date == at.date() and death.source == "icu_stay"
    participant.refresh_from_db()
    assert participant.status == Participant.Status.DIED
    with pytest.raises(CrfRefused, match="after the death"):
        save_daily(participant, day_date=at.date() + timedelta(days=1), by=by, data=daily_data())


def test_hospital_discharge_before_icu_discharge_is_refused(participant, by):
    save_icu_stay(
        participant,
        by=by,
        data={
            "admitted_at": _day(participant, -8),
            "discharged_at": _day(participant, 6),
            "vital_status": "ALIVE",
            "destination": "HOME",
        },
    )
    with pytest.raises(CrfRefused, match="last ICU discharge"):
        save_hospital_discharge(
            participant,
            by=by,
            data={
                "admission_date": d0_of(participant) - timedelta(days=10),
                "discharge_date": d0_of(participant) + timedelta(days=4),
                "transfer_counted": False,
                "vital_status": "ALIVE",
                "destination": "HOME",
            },
        )


def _fu(participant, **kw):
    data = {
        "contact_date": d0_of(participant) + timedelta(days=92),
        "source": "PATIENT_PHONE",
        "vital_status": "ALIVE",
        "last_known_alive_date": d0_of(participant) + timedelta(days=92),
        "readmission": False,
        "new_infection": False,
        "new_sae": False,
        "residence": "HOME",
        "eq5d_mobility": 2,
        "eq5d_self_care": 1,
        "eq5d_usual_activities": 2,
        "eq5d_pain": 3,
        "eq5d_anxiety": 1,
        "eq5d_vas": 70,
        "eq5d_respondent": "PATIENT",
    }
    data.update(kw)
    return data


def test_d90_alive_needs_known_alive_on_or_after_d90(participant, by):
    with pytest.raises(CrfRefused, match="on or after"):
        save_follow_up(
            participant,
            visit="FU_D90",
            by=by,
            data=_fu(participant, last_known_alive_date=d0_of(participant) + timedelta(days=85)),
        )
    result = save_follow_up(participant, visit="FU_D90", by=by, data=_fu(participant))
    assert result.obj.status == CrfStatus.COMPLETE


def test_d90_contact_before_the_window_is_refused(participant, by):
    with pytest.raises(CrfRefused, match="within the window"):
        save_follow_up(
            participant,
            visit="FU_D90",
            by=by,
            data=_fu(
                participant,
                contact_date=d0_of(participant) + timedelta(days=89),
                last_known_alive_date=d0_of(participant) + timedelta(days=89),
            ),
        )


def test_d90_alive_after_a_recorded_death_is_refused(participant, by):
    at = _day(participant, 6, 3)
    save_icu_stay(
        participant,
        by=by,
        data={
            "admitted_at": _day(participant, -8),
            "discharged_at": at,
            "vital_status": "DEAD",
            "death_at": at,
            "death_cause": "CARDIAC",
            "death_after_lst_withdrawal": False,
        },
    )
    with pytest.raises(CrfRefused):
        save_follow_up(participant, visit="FU_D90", by=by, data=_fu(participant))
    with pytest.raises(CrfRefused, match="already recorded"):
        save_follow_up(
            participant,
            visit="FU_D90",
            by=by,
            data=_fu(
                participant,
                vital_status="DEAD",
                death_date=at.date() + timedelta(days=1),
                death_cause="CARDIAC",
            ),
        )


def test_proxy_eq5d_is_flagged(participant, by):
    result = save_follow_up(
        participant, visit="FU_D90", by=by, data=_fu(participant, eq5d_respondent="PROXY")
    )
    assert [f.field for f in result.warnings] == ["eq5d_respondent"]


def test_infection_before_randomisation_is_refused(participant, by):
    with pytest.raises(CrfRefused, match="baseline infection"):
        save_infection(
            participant,
            by=by,
            data={
                "onset_date": d0_of(participant) - timedelta(days=1),
                "location": "STUDY_ICU",
                "category": "UTI",
                "uti_type": "UTI_A",
                "septic_shock": False,
                "microbiologically_documented": True,
            },
        )


def test_mrsa_marker_on_a_non_aureus_organism_is_refused(participant, by):
    with pytest.raises(CrfRefused, match="aureus"):
        save_infection(
            participant,
            by=by,
            data={
                "onset_date": d0_of(participant) + timedelta(days=3),
                "location": "STUDY_ICU",
                "category": "BSI",
                "bsi_origin": "UNKNOWN",
                "septic_shock": False,
                "microbiologically_documented": True,
            },
            microorganisms=[{"organism": "Escherichia coli", "mrsa": "Y"}],
        )


def test_pneumonia_subcodes_apply_to_pneumonia_only(participant, by):
    result = save_infection(
        participant,
        by=by,
        data={
            "onset_date": d0_of(participant) + timedelta(days=3),
            "location": "STUDY_ICU",
            "category": "UTI",
            "uti_type": "UTI_A",
            "pneumonia_level": "PN1",
            "septic_shock": False,
            "microbiologically_documented": True,
        },
        microorganisms=[{"organism": "Staphylococcus aureus", "mrsa": "Y"}],
    )
    assert result.obj.pneumonia_level == "" and result.obj.episode_number == 1
    assert result.obj.microorganisms.get().mrsa == "Y"
