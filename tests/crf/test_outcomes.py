"""Derived outcomes (crf-spec.md §2.7, 2.8, 2.11–2.14)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from crf.injections import Injection
from crf.outcomes import (
    IcuStayTimes,
    Survival,
    VitalStatus,
    counts_for_primary_endpoint,
    d90_mortality,
    hospital_length_of_stay,
    icu_free_days,
    icu_length_of_stay,
    icu_mortality,
    icu_study_days,
    immune_restoration_d10,
    secondary_infection_count,
    study_drug_exposure,
    ventilator_free_days,
    vital_status_at,
)

# T_R = 2025-09-01 10:00Z (12:00 CEST) → D0 = 2025-09-01, D90 = 2025-11-30.
RANDOMIZED_AT = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)
D0 = date(2025, 9, 1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- ICU and hospital length of stay ----------------------------------------------------


def test_icu_los_total_and_after_randomisation_with_one_decimal():
    # Admitted 2025-08-22 10:00Z, discharged 2025-09-05 22:00Z:
    # total = 14 d 12 h = 14.5 d; after T_R (09-01 10:00Z) = 4 d 12 h = 4.5 d.
    # Paris dates 08-22..09-06 (22:00Z = 00:00 CEST on 09-06) = 16; from D0 = 09-01..09-06 = 6.
    los = icu_length_of_stay(
        [IcuStayTimes(utc(2025, 8, 22, 10), utc(2025, 9, 5, 22))], RANDOMIZED_AT
    )
    assert los is not None
    assert (los.total_days, los.after_randomization_days) == (Decimal("14.5"), Decimal("4.5"))
    assert (los.calendar_days, los.calendar_days_after_randomization) == (16, 6)


def test_icu_los_adds_readmissions_and_rounds_half_up():
    # Stay 1: 08-25 00:00Z → 09-03 00:00Z = 9 d (after T_R: 1 d 14 h = 1.583 d).
    # Stay 2: 09-20 06:00Z → 09-21 07:12Z = 1 d 1.2 h = 1.05 d.
    # Total 10.05 → 10.1 (half up); after T_R 1.583 + 1.05 = 2.633 → 2.6.
    los = icu_length_of_stay(
        [
            IcuStayTimes(utc(2025, 8, 25), utc(2025, 9, 3)),
            IcuStayTimes(utc(2025, 9, 20, 6), utc(2025, 9, 21, 7, 12)),
        ],
        RANDOMIZED_AT,
    )
    assert los is not None
    assert (los.total_days, los.after_randomization_days) == (Decimal("10.1"), Decimal("2.6"))


def test_icu_los_of_open_stay_is_unknown_without_censoring():
    assert icu_length_of_stay([IcuStayTimes(utc(2025, 8, 25))], RANDOMIZED_AT) is None


def test_icu_los_censored_at_until():
    # Open stay 08-31 10:00Z, censored 09-03 10:00Z: 3.0 days total, 2.0 after T_R.
    los = icu_length_of_stay(
        [IcuStayTimes(utc(2025, 8, 31, 10))], RANDOMIZED_AT, until=utc(2025, 9, 3, 10)
    )
    assert los is not None
    assert (los.total_days, los.after_randomization_days) == (Decimal("3.0"), Decimal("2.0"))


def test_hospital_los_counts_midnights():
    # Admitted 08-10, discharged 09-30: 21 (Aug) + 30 (Sep) = 51 days; D0 → 09-30 = 29.
    los = hospital_length_of_stay(date(2025, 8, 10), date(2025, 9, 30), D0)
    assert los is not None
    assert (los.total_days, los.after_randomization_days) == (51, 29)
    assert hospital_length_of_stay(date(2025, 8, 10), None, D0) is None


# --- mortality --------------------------------------------------------------------------


def test_death_at_icu_discharge_time_is_icu_death():
    stays = [IcuStayTimes(utc(2025, 8, 25), utc(2025, 9, 10, 3))]
    assert icu_mortality(stays, utc(2025, 9, 10, 3)) is True


def test_death_on_the_ward_is_not_icu_death():
    stays = [IcuStayTimes(utc(2025, 8, 25), utc(2025, 9, 10))]
    assert icu_mortality(stays, utc(2025, 9, 20)) is False


def test_death_during_icu_readmission_is_icu_death():
    stays = [IcuStayTimes(utc(2025, 8, 25), utc(2025, 9, 10)), IcuStayTimes(utc(2025, 9, 25))]
    assert icu_mortality(stays, utc(2025, 9, 28)) is True


def test_icu_mortality_unknown_while_in_icu_and_false_after_discharge_alive():
    assert icu_mortality([IcuStayTimes(utc(2025, 8, 25))], None) is None
    assert icu_mortality([IcuStayTimes(utc(2025, 8, 25), utc(2025, 9, 10))], None) is False


def test_death_on_d90_counts_for_d90_mortality():
    assert d90_mortality(D0, death_date=date(2025, 11, 30), last_known_alive=None) is True


def test_death_on_d91_is_alive_at_d90():
    assert d90_mortality(D0, death_date=date(2025, 12, 1), last_known_alive=None) is False


def test_alive_at_d90_only_if_last_known_alive_on_or_after_d90():
    assert d90_mortality(D0, death_date=None, last_known_alive=date(2025, 11, 30)) is False
    assert d90_mortality(D0, death_date=None, last_known_alive=date(2025, 11, 29)) is None
    assert d90_mortality(D0, death_date=None, last_known_alive=None) is None


def test_vital_status_at_d30():
    # D30 = 2025-10-01.
    assert vital_status_at(D0, 30, death_date=None, last_known_alive=date(2025, 10, 1)) == "ALIVE"
    status = vital_status_at(D0, 30, death_date=None, last_known_alive=date(2025, 9, 30))
    assert status is VitalStatus.UNKNOWN


# --- primary endpoint -------------------------------------------------------------------


def test_infection_count_keeps_onsets_after_randomisation_up_to_d90():
    onsets = [
        utc(2025, 9, 1, 9),  # before T_R (10:00Z): baseline
        utc(2025, 9, 1, 11),  # D0 after T_R: counts
        date(2025, 9, 15),  # D14: counts
        date(2025, 11, 30),  # D90: counts
        utc(2025, 11, 30, 22, 30),  # 23:30 CET (UTC+1 in November) = D90: counts
        utc(2025, 11, 30, 23, 30),  # 2025-12-01 00:30 CET = D91: excluded
        date(2025, 12, 1),  # D91: excluded
    ]
    assert secondary_infection_count(onsets, RANDOMIZED_AT) == 4


def test_date_only_onset_on_d0_does_not_count():
    assert counts_for_primary_endpoint(D0, RANDOMIZED_AT) is False
    assert counts_for_primary_endpoint(date(2025, 9, 2), RANDOMIZED_AT) is True


# --- free days --------------------------------------------------------------------------


def test_ventilator_free_days_to_d28_for_a_survivor():
    # Ventilated D0..D6 (D0 not in the horizon): D1..D6 = 6 days → 28 − 6 = 22.
    survival = Survival(last_known_alive_day=90)
    assert ventilator_free_days(range(0, 7), 28, survival) == 22
    # To D90: 90 − 6 = 84.
    assert ventilator_free_days(range(0, 7), 90, survival) == 84


def test_ventilator_free_days_ignore_days_after_horizon():
    # Ventilated D25..D35: only D25..D28 (4 days) fall in D1..D28 → 24.
    assert ventilator_free_days(range(25, 36), 28, Survival(death_day=60)) == 24


def test_death_before_horizon_gives_zero_free_days():
    assert ventilator_free_days([1, 2], 28, Survival(death_day=20)) == 0
    assert ventilator_free_days([1, 2], 28, Survival(death_day=28)) == 0
    # Died on D45: alive through D28, so D28 free days are computed, D90 gives 0.
    assert ventilator_free_days([1, 2], 28, Survival(death_day=45)) == 26
    assert ventilator_free_days([1, 2], 90, Survival(death_day=45)) == 0


def test_free_days_unknown_when_lost_before_horizon():
    assert ventilator_free_days([], 28, Survival(last_known_alive_day=20)) is None
    assert ventilator_free_days([], 28, Survival()) is None


def test_icu_free_days_from_stays():
    # In ICU from before D0 to D10 (incl.), readmitted D20..D22.
    days = icu_study_days(
        D0,
        [(date(2025, 8, 25), date(2025, 9, 11)), (date(2025, 9, 21), date(2025, 9, 23))],
        until_day=90,
    )
    # D1..D10 (10) + D20..D22 (3) = 13 ICU days in D1..D28 → 28 − 13 = 15.
    assert icu_free_days(days, 28, Survival(last_known_alive_day=30)) == 15


def test_icu_study_days_of_open_stay_stop_at_until_day():
    assert icu_study_days(D0, [(date(2025, 9, 1), None)], until_day=3) == {0, 1, 2, 3}


# --- immune restoration -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("mhla", "lymph", "expected"),
    [
        (8000, Decimal("1.0"), (True, True, True)),  # both exactly at threshold
        (7999, Decimal("1.5"), (False, True, False)),
        (9000, Decimal("0.99"), (True, False, False)),
        (None, Decimal("1.2"), (None, True, None)),
        (9000, None, (True, None, None)),
        (7000, None, (False, None, False)),  # one component fails: not restored
        (None, None, (None, None, None)),
    ],
)
def test_immune_restoration_thresholds(mhla, lymph, expected):
    result = immune_restoration_d10(mhla, lymph)
    assert (result.mhla_dr, result.lymphocytes, result.restored) == expected


def test_lymphocytes_1000_per_mm3_is_1_g_per_l():
    # /mm³ ÷ 1000 = G/L (crf-spec.md units table): 1000 /mm³ meets the threshold.
    assert immune_restoration_d10(8000, Decimal(1000) / 1000).lymphocytes is True


# --- exposure ---------------------------------------------------------------------------


def test_study_drug_exposure_counts_given_injections_and_kits():
    injections = [
        Injection(1, True, utc(2025, 9, 2, 6), "KITAAA1"),
        Injection(2, True, utc(2025, 9, 4, 6), "KITAAA1"),
        Injection(3, False),
        Injection(4, True, utc(2025, 9, 8, 6), "KITBBB2"),  # replacement kit
        Injection(5, False),
    ]
    exposure = study_drug_exposure(injections)
    assert (exposure.injections_given, exposure.kits_used) == (3, 2)
