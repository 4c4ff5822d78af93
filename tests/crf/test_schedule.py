"""Visit schedule, study days and expected forms (crf-spec.md §0.1, §1)."""

from datetime import UTC, date, datetime

import pytest

from crf.schedule import (
    VISITS,
    VISITS_BY_CODE,
    ClinicalState,
    ExpectedForm,
    FormStatus,
    VisitKind,
    expected_forms,
    injection_visit,
    study_date,
    study_day_start,
)
from platinium.lib.study_time import StudyDayOrigin, d0_from_randomized_at, study_day

D0 = date(2025, 9, 1)  # D30 = 2025-10-01, D60 = 2025-10-31, D90 = 2025-11-30


def forms_by_code(forms: list[ExpectedForm], code: str) -> list[ExpectedForm]:
    return [form for form in forms if form.code == code]


def one(forms: list[ExpectedForm], code: str) -> ExpectedForm:
    (form,) = forms_by_code(forms, code)
    return form


# --- study days -------------------------------------------------------------------------


def test_study_day_counts_calendar_days_from_d0():
    assert study_day(D0, D0) == 0
    assert study_day(D0, date(2025, 9, 2)) == 1
    assert study_day(D0, date(2025, 11, 30)) == 90  # 29 (Sep) + 31 (Oct) + 30 (Nov)
    assert study_day(D0, date(2025, 8, 31)) == -1


def test_study_date_is_inverse_of_study_day():
    assert study_date(D0, 30) == date(2025, 10, 1)
    assert study_day(D0, study_date(D0, 104)) == 104


def test_d0_is_paris_date_on_spring_forward_night():
    # 2025-03-30 00:30Z is 01:30 CET (UTC+1, the switch to CEST is at 01:00Z).
    assert d0_from_randomized_at(datetime(2025, 3, 30, 0, 30, tzinfo=UTC)) == date(2025, 3, 30)


def test_d0_is_next_paris_day_after_fall_back_evening():
    # 2025-10-26 23:30Z is 2025-10-27 00:30 CET (UTC+1 since 01:00Z that day):
    # the UTC date says the 26th, the Paris calendar says the 27th.
    assert d0_from_randomized_at(datetime(2025, 10, 26, 23, 30, tzinfo=UTC)) == date(2025, 10, 27)


def test_d0_summer_evening_crosses_midnight_in_paris():
    # 22:30Z in summer = 00:30 CEST (UTC+2) the next day.
    assert d0_from_randomized_at(datetime(2025, 7, 14, 22, 30, tzinfo=UTC)) == date(2025, 7, 15)


def test_d0_refuses_naive_datetime():
    with pytest.raises(ValueError):
        d0_from_randomized_at(datetime(2025, 7, 14, 22, 30))


def test_alternative_origin_numbers_randomisation_day_as_d1():
    randomized_at = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)
    d0 = d0_from_randomized_at(randomized_at, StudyDayOrigin.D1_IS_RANDOMISATION_DAY)
    assert study_day(d0, date(2025, 9, 1)) == 1


def test_study_day_start_is_paris_midnight_across_dst():
    # D0 = 2025-10-26 (the 25-hour day): D1 starts at 2025-10-26 23:00Z (00:00 CET).
    start = study_day_start(date(2025, 10, 26), 1)
    assert start.astimezone(UTC) == datetime(2025, 10, 26, 23, 0, tzinfo=UTC)


# --- schedule data ----------------------------------------------------------------------


def test_schedule_codes_are_unique_and_complete():
    codes = [visit.code for visit in VISITS]
    assert len(codes) == len(set(codes))
    for code in (
        "BASELINE", "INJ1", "INJ2", "INJ3", "INJ4", "INJ5", "DAILY", "D10_BIOLOGY",
        "ICU_DISCHARGE", "HOSPITAL_DISCHARGE", "FU_D30", "FU_D60", "FU_D90", "END_OF_STUDY",
    ):  # fmt: skip
        assert code in VISITS_BY_CODE


def test_injection_windows_and_planned_days_follow_protocol():
    expected = {1: (1, (1, 1)), 2: (3, (2, 4)), 3: (5, (4, 6)), 4: (7, (6, 8)), 5: (9, (8, 9))}
    for number, (target, window) in expected.items():
        visit = injection_visit(number)
        assert (visit.target_day, visit.window) == (target, window)


def test_injection_visit_refuses_a_sixth_injection():
    with pytest.raises(ValueError):
        injection_visit(6)


def test_follow_up_windows_open_on_target_day():
    assert VISITS_BY_CODE["FU_D30"].window == (30, 37)
    assert VISITS_BY_CODE["FU_D60"].window == (60, 67)
    assert VISITS_BY_CODE["FU_D90"].window == (90, 104)
    assert VISITS_BY_CODE["D10_BIOLOGY"].window == (9, 11)


def test_logs_are_repeating_kind():
    for code in ("INFECTION", "ADVERSE_EVENT", "CONCOMITANT_MEDICATION", "PROTOCOL_DEVIATION"):
        assert VISITS_BY_CODE[code].kind is VisitKind.LOG


def test_clinical_state_refuses_discharge_before_admission():
    with pytest.raises(ValueError):
        ClinicalState(d0=D0, icu_stays=[(date(2025, 9, 5), date(2025, 9, 4))])


# --- expected forms: windows ------------------------------------------------------------


def test_d30_not_due_on_d29_due_on_d30_and_d37_overdue_on_d38():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), date(2025, 9, 10))])
    d30 = one(expected_forms(state, study_date(D0, 29)), "FU_D30")
    assert (d30.window_start, d30.window_end) == (date(2025, 10, 1), date(2025, 10, 8))
    assert d30.status is FormStatus.NOT_DUE
    assert one(expected_forms(state, study_date(D0, 30)), "FU_D30").status is FormStatus.DUE
    assert one(expected_forms(state, study_date(D0, 37)), "FU_D30").status is FormStatus.DUE
    assert one(expected_forms(state, study_date(D0, 38)), "FU_D30").status is FormStatus.OVERDUE


def test_d10_biology_window_is_d9_to_d11():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), None)])
    assert one(expected_forms(state, study_date(D0, 8)), "D10_BIOLOGY").status == "not_due"
    assert one(expected_forms(state, study_date(D0, 9)), "D10_BIOLOGY").status == "due"
    assert one(expected_forms(state, study_date(D0, 12)), "D10_BIOLOGY").status == "overdue"


def test_injection_forms_are_expected_with_their_windows():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), None)])
    forms = expected_forms(state, study_date(D0, 4))
    inj2 = one(forms, "INJ2")
    assert (inj2.study_day, inj2.window_start, inj2.window_end) == (
        3,
        date(2025, 9, 3),
        date(2025, 9, 5),
    )
    assert inj2.status is FormStatus.DUE  # D4 is the last day of the D2–D4 window
    assert one(forms, "INJ1").status is FormStatus.OVERDUE  # D1 only
    assert one(forms, "INJ3").status is FormStatus.DUE  # D4–D6
    assert one(forms, "INJ5").status is FormStatus.NOT_DUE


# --- expected forms: daily --------------------------------------------------------------


def test_daily_forms_run_from_d0_through_icu_discharge_day():
    # In the ICU since before randomisation, discharged on D5: days D0..D5 = 6 forms.
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), date(2025, 9, 6))])
    daily = forms_by_code(expected_forms(state, study_date(D0, 20)), "DAILY")
    assert [form.study_day for form in daily] == [0, 1, 2, 3, 4, 5]


def test_daily_forms_of_open_stay_stop_at_today():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), None)])
    daily = forms_by_code(expected_forms(state, study_date(D0, 3)), "DAILY")
    assert [form.study_day for form in daily] == [0, 1, 2, 3]
    assert daily[-1].status is FormStatus.DUE


def test_daily_form_becomes_overdue_after_entry_grace():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), None)])
    forms = forms_by_code(expected_forms(state, study_date(D0, 4)), "DAILY")
    # grace 3 days: D0's form is due through D3, overdue on D4.
    assert forms[0].status is FormStatus.OVERDUE
    assert forms[1].status is FormStatus.DUE


def test_daily_forms_never_go_beyond_d90():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), None)])
    daily = forms_by_code(expected_forms(state, study_date(D0, 120)), "DAILY")
    assert len(daily) == 91  # D0..D90 inclusive
    assert daily[-1].study_day == 90


def test_icu_readmission_before_d90_reopens_daily_forms():
    # Index stay to D3, readmitted D20 to D22: D0..D3 (4) + D20..D22 (3) = 7 forms.
    state = ClinicalState(
        d0=D0,
        icu_stays=[
            (date(2025, 8, 20), date(2025, 9, 4)),
            (date(2025, 9, 21), date(2025, 9, 23)),
        ],
    )
    forms = expected_forms(state, study_date(D0, 40))
    assert [form.study_day for form in forms_by_code(forms, "DAILY")] == [0, 1, 2, 3, 20, 21, 22]
    discharges = forms_by_code(forms, "ICU_DISCHARGE")
    assert [(form.occurrence, form.study_day) for form in discharges] == [(1, 3), (2, 22)]


def test_readmission_after_d90_opens_nothing():
    state = ClinicalState(
        d0=D0,
        icu_stays=[(date(2025, 8, 20), date(2025, 9, 4)), (date(2025, 12, 5), None)],
    )
    forms = expected_forms(state, date(2025, 12, 10))
    assert max(form.study_day for form in forms_by_code(forms, "DAILY")) == 3
    assert len(forms_by_code(forms, "ICU_DISCHARGE")) == 1


def test_same_day_discharge_and_readmission_gives_one_daily_form():
    state = ClinicalState(
        d0=D0,
        icu_stays=[
            (date(2025, 8, 20), date(2025, 9, 3)),
            (date(2025, 9, 3), date(2025, 9, 4)),
        ],
    )
    daily = forms_by_code(expected_forms(state, study_date(D0, 10)), "DAILY")
    assert [form.study_day for form in daily] == [0, 1, 2, 3]


def test_death_in_icu_makes_death_day_the_last_daily_form():
    # Open stay, death on D6 → daily D0..D6, ICU discharge form dated D6.
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), None)], death_date=date(2025, 9, 7))
    forms = expected_forms(state, study_date(D0, 20))
    assert [form.study_day for form in forms_by_code(forms, "DAILY")][-1] == 6
    assert one(forms, "ICU_DISCHARGE").study_day == 6


# --- expected forms: death and end of study --------------------------------------------


def test_death_closes_later_follow_ups():
    # Died on D45 after ICU discharge: D30 still expected, D60 and D90 closed.
    state = ClinicalState(
        d0=D0,
        icu_stays=[(date(2025, 8, 20), date(2025, 9, 10))],
        death_date=study_date(D0, 45),
    )
    codes = {form.code for form in expected_forms(state, study_date(D0, 50))}
    assert "FU_D30" in codes
    assert "FU_D60" not in codes
    assert "FU_D90" not in codes
    end = one(expected_forms(state, study_date(D0, 50)), "END_OF_STUDY")
    assert end.study_day == 45


def test_death_on_target_day_keeps_that_follow_up():
    state = ClinicalState(
        d0=D0, icu_stays=[(date(2025, 8, 20), date(2025, 9, 10))], death_date=study_date(D0, 30)
    )
    codes = {form.code for form in expected_forms(state, study_date(D0, 31))}
    assert "FU_D30" in codes
    assert "FU_D60" not in codes


def test_d10_biology_expected_unless_dead_before_d9():
    stays = [(date(2025, 8, 20), None)]
    dead_d8 = ClinicalState(d0=D0, icu_stays=stays, death_date=study_date(D0, 8))
    dead_d9 = ClinicalState(d0=D0, icu_stays=stays, death_date=study_date(D0, 9))
    assert not forms_by_code(expected_forms(dead_d8, study_date(D0, 12)), "D10_BIOLOGY")
    assert forms_by_code(expected_forms(dead_d9, study_date(D0, 12)), "D10_BIOLOGY")


def test_death_before_an_injection_window_closes_that_injection():
    # Died on D3: INJ1 (D1) and INJ2 (D2–D4) expected, INJ3 (from D4) onwards closed.
    state = ClinicalState(
        d0=D0, icu_stays=[(date(2025, 8, 20), None)], death_date=study_date(D0, 3)
    )
    codes = [form.code for form in expected_forms(state, study_date(D0, 5))]
    assert "INJ2" in codes
    assert "INJ3" not in codes


def test_end_of_study_closes_everything_after_it():
    # Consent withdrawn on D40, patient out of the ICU on D5: D30 stays, D60/D90 go.
    state = ClinicalState(
        d0=D0,
        icu_stays=[(date(2025, 8, 20), date(2025, 9, 6))],
        end_of_study_date=study_date(D0, 40),
        end_of_study_reason="CONSENT WITHDRAWN BY PATIENT",
    )
    forms = expected_forms(state, study_date(D0, 70))
    codes = {form.code for form in forms}
    assert {"FU_D30", "END_OF_STUDY"} <= codes
    assert not {"FU_D60", "FU_D90"} & codes
    assert all(form.window_start <= study_date(D0, 40) for form in forms)


def test_end_of_study_in_icu_stops_daily_forms():
    state = ClinicalState(
        d0=D0,
        icu_stays=[(date(2025, 8, 20), None)],
        end_of_study_date=study_date(D0, 4),
    )
    forms = expected_forms(state, study_date(D0, 10))
    assert [f.study_day for f in forms_by_code(forms, "DAILY")] == [0, 1, 2, 3, 4]
    assert not forms_by_code(forms, "ICU_DISCHARGE")  # still open: would be the D90 form


def test_still_in_icu_at_d90_expects_ongoing_icu_discharge_in_d90_window():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), None)])
    form = one(expected_forms(state, study_date(D0, 95)), "ICU_DISCHARGE")
    assert (form.window_start, form.window_end) == (study_date(D0, 90), study_date(D0, 104))
    assert form.status is FormStatus.DUE


def test_hospital_discharge_is_event_form_with_entry_grace():
    state = ClinicalState(
        d0=D0,
        icu_stays=[(date(2025, 8, 20), date(2025, 9, 6))],
        hospital_discharge_date=study_date(D0, 12),
    )
    form = one(expected_forms(state, study_date(D0, 20)), "HOSPITAL_DISCHARGE")
    # Event on D12, grace 7 days → overdue after D19.
    assert (form.study_day, form.window_end, form.status) == (
        12,
        study_date(D0, 19),
        FormStatus.OVERDUE,
    )


def test_baseline_expected_on_d0():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), None)])
    baseline = one(expected_forms(state, D0), "BASELINE")
    assert (baseline.study_day, baseline.status) == (0, FormStatus.DUE)


def test_logs_are_never_expected():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), None)])
    codes = {form.code for form in expected_forms(state, study_date(D0, 50))}
    assert not {"INFECTION", "ADVERSE_EVENT"} & codes


def test_expected_forms_are_in_date_order():
    state = ClinicalState(d0=D0, icu_stays=[(date(2025, 8, 20), date(2025, 9, 6))])
    forms = expected_forms(state, study_date(D0, 100))
    assert [f.target_date for f in forms] == sorted(f.target_date for f in forms)
