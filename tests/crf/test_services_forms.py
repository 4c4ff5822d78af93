"""The save services: hard limits refuse, soft limits flag, required items set the status."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from audit.services import ReasonRequired
from crf.models import Baseline, CrfStatus, DailyFollowUp, DataQuery
from crf.services import (
    CrfRefused,
    ParticipantLocked,
    mark_entered_in_error,
    save_baseline,
    save_daily,
)
from tests.crf.helpers import baseline_data, d0_of, daily_data, randomized

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(site11):
    return randomized(site11)


def test_complete_baseline_is_saved_complete_with_derived_values(participant, role_users):
    result = save_baseline(participant, by=role_users["coordinator"], data=baseline_data())
    baseline = result.obj
    assert baseline.status == CrfStatus.COMPLETE
    assert baseline.bmi == Decimal("25.2")
    assert baseline.charlson_index == 0
    assert baseline.age_years >= 60
    assert AuditEvent.objects.filter(action="crf.baseline.create").count() == 1


def test_missing_required_item_keeps_the_form_in_progress(participant, role_users):
    data = baseline_data()
    del data["mccabe"]
    result = save_baseline(participant, by=role_users["coordinator"], data=data)
    assert result.obj.status == CrfStatus.IN_PROGRESS
    assert [f.field for f in result.missing] == ["mccabe"]


def test_impossible_weight_is_refused_with_a_message_and_nothing_saved(participant, role_users):
    with pytest.raises(CrfRefused) as refused:
        save_baseline(
            participant, by=role_users["coordinator"], data=baseline_data(weight_kg=Decimal("450"))
        )
    assert "between 20 and 400 kg" in str(refused.value)
    assert not Baseline.objects.exists()


def test_implausible_weight_is_saved_and_flagged(participant, role_users):
    result = save_baseline(
        participant,
        by=role_users["coordinator"],
        data=baseline_data(weight_kg=Decimal("190"), height_cm=190),
    )
    flag = DataQuery.objects.system().get(field="weight_kg")
    assert flag.object_id == result.obj.pk and flag.model_label == "crf.baseline"
    assert "unusually high" in flag.text and flag.value_when_raised == "190"


def test_flag_closes_when_a_correction_no_longer_trips_it(participant, role_users):
    by = role_users["coordinator"]
    result = save_baseline(participant, by=by, data=baseline_data(weight_kg=Decimal("190")))
    save_baseline(
        participant,
        by=by,
        data=baseline_data(weight_kg=Decimal("90")),
        instance=result.obj,
        expected_version=1,
        reason="typo",
    )
    assert DataQuery.objects.unresolved().count() == 0
    assert DataQuery.objects.get().status == "closed"


def test_pregnancy_items_for_a_man_are_refused(participant, role_users):
    with pytest.raises(CrfRefused) as refused:
        save_baseline(
            participant,
            by=role_users["coordinator"],
            data=baseline_data(sex="M", pregnancy_test="NEG"),
        )
    assert refused.value.findings[0].field == "childbearing_potential"


def test_pregnancy_items_of_a_man_are_skipped_when_blanked_by_skip_logic(participant, role_users):
    result = save_baseline(
        participant,
        by=role_users["coordinator"],
        data=baseline_data(sex="F", childbearing_potential=False, pregnancy_test="NEG"),
    )
    assert result.obj.pregnancy_test == ""


def test_childbearing_potential_at_70_is_flagged(participant, role_users):
    save_baseline(
        participant,
        by=role_users["coordinator"],
        data=baseline_data(
            sex="F",
            birth_year=1950,
            childbearing_potential=True,
            pregnancy_test="NEG",
            pregnancy_test_date=d0_of(participant),
        ),
    )
    assert DataQuery.objects.system().filter(field="childbearing_potential").exists()


def test_minor_is_refused(participant, role_users):
    year = d0_of(participant).year - 10
    with pytest.raises(CrfRefused, match="18–120"):
        save_baseline(
            participant, by=role_users["coordinator"], data=baseline_data(birth_year=year)
        )


def test_a_change_to_saved_data_needs_a_reason(participant, role_users):
    by = role_users["coordinator"]
    result = save_baseline(participant, by=by, data=baseline_data())
    with pytest.raises(ReasonRequired):
        save_baseline(
            participant,
            by=by,
            data=baseline_data(height_cm=180),
            instance=result.obj,
            expected_version=1,
        )


def test_server_owned_fields_in_the_data_are_ignored(participant, role_users):
    result = save_baseline(
        participant,
        by=role_users["coordinator"],
        data=baseline_data(bmi=Decimal("99"), status="complete", version=7),
    )
    assert result.obj.bmi == Decimal("25.2")
    assert result.obj.version == 1


def test_locked_participant_refuses_every_save(participant, role_users):
    from participants.locks import lock_casebook

    lock_casebook(participant, by=role_users["data_manager"], reason="casebook reviewed")
    with pytest.raises(ParticipantLocked):
        save_baseline(participant, by=role_users["coordinator"], data=baseline_data())


def test_daily_form_computes_sofa_from_standard_units(participant, role_users):
    day = d0_of(participant) + timedelta(days=1)
    result = save_daily(
        participant,
        day_date=day,
        by=role_users["coordinator"],
        data=daily_data(
            pao2_value=Decimal("10.7"),
            pao2_unit="kPa",
            creatinine_value=Decimal("2.0"),
            creatinine_unit="mg/dL",
        ),
    )
    row = result.obj
    assert row.study_day == 1
    assert row.pao2_mmhg == Decimal("80.2566")  # 10.7 × 7.50062
    assert row.creatinine_umol_l == Decimal("176.8000")
    # P/F 200.6 on IMV → 2; platelets 120 → 1; bili 25 → 1; NE 0.05 → 3; GCS 14 → 1;
    # creatinine 176.8 → 2 (urine 1500 → 0).
    assert (
        row.sofa_respiration,
        row.sofa_coagulation,
        row.sofa_liver,
        row.sofa_cardiovascular,
        row.sofa_cns,
        row.sofa_renal,
    ) == (2, 1, 1, 3, 1, 2)
    assert row.sofa_total == 10
    assert row.status == CrfStatus.COMPLETE


def test_daily_form_before_randomisation_is_refused(participant, role_users):
    with pytest.raises(CrfRefused, match="on or after randomisation"):
        save_daily(
            participant,
            day_date=d0_of(participant) - timedelta(days=1),
            by=role_users["coordinator"],
            data=daily_data(),
        )


def test_two_daily_forms_for_one_day_cannot_exist(participant, role_users):
    from django.db import IntegrityError

    day = d0_of(participant)
    save_daily(participant, day_date=day, by=role_users["coordinator"], data=daily_data())
    with pytest.raises(IntegrityError):
        save_daily(participant, day_date=day, by=role_users["coordinator"], data=daily_data())


def test_impossible_fio2_is_refused(participant, role_users):
    with pytest.raises(CrfRefused, match=r"between 0\.21 and 1"):
        save_daily(
            participant,
            day_date=d0_of(participant),
            by=role_users["coordinator"],
            data=daily_data(fio2_value=Decimal("15"), fio2_unit="%"),
        )


def test_entered_in_error_keeps_the_row_and_frees_the_day(participant, role_users):
    by = role_users["coordinator"]
    day = d0_of(participant)
    first = save_daily(participant, day_date=day, by=by, data=daily_data()).obj
    mark_entered_in_error(first, by=by, reason="wrong patient")
    save_daily(participant, day_date=day, by=by, data=daily_data())
    assert DailyFollowUp.objects.count() == 2
    assert DailyFollowUp.objects.current().count() == 1
    first.refresh_from_db()
    assert first.status == CrfStatus.ENTERED_IN_ERROR and first.entered_in_error_by == by


def test_entered_in_error_needs_a_reason(participant, role_users):
    by = role_users["coordinator"]
    row = save_daily(participant, day_date=d0_of(participant), by=by, data=daily_data()).obj
    with pytest.raises(ReasonRequired):
        mark_entered_in_error(row, by=by, reason=" ")
