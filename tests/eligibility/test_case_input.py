"""parse_case: refusal of impossible input naming the field, units, time zones, warnings."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from eligibility.case import CaseInputError, parse_case, parse_case_with_warnings
from eligibility.engine import evaluate_payload
from tests.eligibility.builders import base_case

D = Decimal


def refusal(case: Any) -> CaseInputError:
    with pytest.raises(CaseInputError) as caught:
        parse_case(case)
    return caught.value


def test_fio2_given_as_percent_is_refused_with_the_field_named() -> None:
    case = base_case()
    case["sofa"][0]["fio2"] = 21
    error = refusal(case)
    assert error.field == "sofa[0].fio2"
    assert error.message == "FiO₂ is a fraction between 0.21 and 1.00"


@pytest.mark.parametrize("fio2", [0.2, 1.01, 0])
def test_fio2_outside_0_21_to_1_is_refused(fio2: float) -> None:
    case = base_case()
    case["apache_ii"]["fio2"] = fio2
    assert refusal(case).field == "apache_ii.fio2"


@pytest.mark.parametrize("fio2", [0.21, 1, 1.0])
def test_fio2_at_the_limits_is_accepted(fio2: float) -> None:
    case = base_case()
    case["sofa"][0]["fio2"] = fio2
    assert parse_case(case).sofa[0].inputs.fio2 == D(str(fio2))


def test_unknown_drug_is_refused() -> None:
    case = base_case()
    case["corticosteroids"][0]["drug"] = "budesonide"
    error = refusal(case)
    assert error.field == "corticosteroids[0].drug"
    assert "budesonide" in error.message


@pytest.mark.parametrize("value", ["2025-13-01T10:00", "yesterday", "2025-03-01", 20250301])
def test_unparsable_datetime_is_refused(value: Any) -> None:
    case = base_case()
    case["icu_admission"] = value
    assert refusal(case).field == "icu_admission"


def test_unparsable_sofa_date_is_refused() -> None:
    case = base_case()
    case["sofa"][0]["date"] = "02/03/2025"
    assert refusal(case).field == "sofa[0].date"


@pytest.mark.parametrize(
    ("gcs", "field"), [(16, "sofa[0].gcs"), (2, "sofa[0].gcs"), (9.5, "sofa[0].gcs")]
)
def test_impossible_gcs_is_refused(gcs: Any, field: str) -> None:
    case = base_case()
    case["sofa"][0]["gcs"] = gcs
    assert refusal(case).field == field


def test_apache_gcs_16_is_refused() -> None:
    case = base_case()
    case["apache_ii"]["gcs"] = 16
    assert refusal(case).field == "apache_ii.gcs"


def test_unknown_lymphocyte_unit_is_refused() -> None:
    case = base_case()
    case["lymphocytes"][0]["unit"] = "cells/L"
    assert refusal(case).field == "lymphocytes[0].unit"


def test_lymphocyte_value_without_unit_is_refused() -> None:
    case = base_case()
    del case["lymphocytes"][0]["unit"]
    assert refusal(case).field == "lymphocytes[0].unit"


def test_sample_after_the_evaluation_time_is_ignored_not_refused() -> None:
    # Formerly refused (a whole batch failed on it); protocol I4 only leaves it out.
    case = base_case()
    case["mhla_dr"][0]["sampled_at"] = "2025-03-09T16:01"
    parsed = parse_case(case)
    assert (parsed.mhla_dr, parsed.not_counted) == ((), ("mhla_dr[0]",))
    case = base_case()
    case["lymphocytes"][0]["sampled_at"] = "2025-03-10T06:00"
    parsed = parse_case(case)
    assert (parsed.lymphocytes, parsed.not_counted) == ((), ("lymphocytes[0]",))


def test_a_later_sample_is_still_validated() -> None:
    case = base_case()
    case["lymphocytes"][0].update(sampled_at="2025-03-10T06:00", unit=None)
    assert refusal(case).field == "lymphocytes[0].unit"


def test_sample_exactly_at_the_evaluation_time_is_accepted() -> None:
    case = base_case()
    case["lymphocytes"][0]["sampled_at"] = "2025-03-09T16:00"
    assert parse_case(case).lymphocytes[0].sampled_at == datetime(2025, 3, 9, 15, tzinfo=UTC)


def test_evaluation_before_icu_admission_is_refused() -> None:
    case = base_case()
    case["evaluated_at"] = "2025-03-01T09:59"
    case["mhla_dr"] = case["lymphocytes"] = case["sofa"] = []
    assert refusal(case).field == "evaluated_at"


def test_sofa_date_before_icu_admission_or_after_evaluation_is_refused() -> None:
    case = base_case()
    case["sofa"][0]["date"] = "2025-02-28"
    assert refusal(case).field == "sofa[0].date"
    case["sofa"][0]["date"] = "2025-03-10"
    assert refusal(case).field == "sofa[0].date"


def test_unknown_key_is_refused_with_its_path() -> None:
    case = base_case()
    case["labs"]["alt_ul"] = 45
    assert refusal(case).field == "labs.alt_ul"


def test_key_starting_with_underscore_is_a_comment() -> None:
    case = base_case()
    case["_comment"] = "boundary case"
    parse_case(case)


@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_boolean_must_be_true_or_false(value: Any) -> None:
    case = base_case()
    case["exclusions"]["tuberculosis"] = value
    assert refusal(case).field == "exclusions.tuberculosis"


@pytest.mark.parametrize("value", ["140", True, [140], float("nan")])
def test_number_must_be_a_finite_number(value: Any) -> None:
    case = base_case()
    case["labs"]["platelets_g_l"] = value
    assert refusal(case).field == "labs.platelets_g_l"


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("labs", "platelets_g_l", 2001),
        ("labs", "ast_uln", 9),
        ("labs", "creatinine_umol_l", 9),
        ("labs", "ast_u_l", -1),
        ("apache_ii", "temperature_c", 46),
        ("apache_ii", "arterial_ph", 6.4),
        ("apache_ii", "sodium_mmol_l", 89),
        ("sofa", "map_mmhg", 9),
        ("sofa", "urine_output_ml_24h", -1),
        ("sofa", "norepinephrine_ug_kg_min", 10.1),
        ("sofa", "pao2_mmhg", 801),
    ],
)
def test_hard_limits_refuse(section: str, key: str, value: float) -> None:
    case = base_case()
    target = case["sofa"][0] if section == "sofa" else case[section]
    target[key] = value
    error = refusal(case)
    assert error.field == (f"sofa[0].{key}" if section == "sofa" else f"{section}.{key}")


@pytest.mark.parametrize(
    ("key", "value"),
    [("age", 121), ("age", -1), ("age", 58.5), ("weight_kg", 19), ("weight_kg", 401)],
)
def test_demographic_hard_limits_refuse(key: str, value: float) -> None:
    case = base_case()
    case[key] = value
    assert refusal(case).field == key


def test_age_under_18_is_accepted_and_fails_i1() -> None:
    case = base_case()
    case["age"] = 17
    assert evaluate_payload(case)["failed"] == ["I1"]  # type: ignore[call-overload]


def test_unknown_sex_and_chronic_health_are_refused() -> None:
    case = base_case()
    case["sex"] = "X"
    assert refusal(case).field == "sex"
    case = base_case()
    case["apache_ii"]["chronic_health"] = "postoperative"
    assert refusal(case).field == "apache_ii.chronic_health"


def test_absent_and_null_keys_are_missing_not_refused() -> None:
    case = base_case()
    case["labs"]["alt_u_l"] = None
    del case["labs"]["ast_uln"]
    del case["exclusions"]
    parsed = parse_case(case)
    assert parsed.labs.alt_u_l is None
    assert parsed.labs.ast_uln is None
    assert parsed.exclusions.tuberculosis is None


def test_empty_object_parses_to_an_all_missing_case() -> None:
    parsed = parse_case({})
    assert parsed.sofa == ()
    assert parsed.corticosteroids is None


def test_non_object_case_is_refused() -> None:
    assert refusal([1, 2]).field == ""


# --- Units -----------------------------------------------------------------------------------


def test_lymphocytes_0_62_g_l_are_exactly_620_per_mm3() -> None:
    assert parse_case(base_case()).lymphocytes[0].per_mm3 == 620


def test_lymphocytes_2_01_g_l_are_exactly_2010_per_mm3_unlike_binary_floats() -> None:
    assert 2.01 * 1000 != 2010
    case = base_case()
    case["lymphocytes"][0]["value"] = 2.01
    assert parse_case(case).lymphocytes[0].per_mm3 == 2010


def test_creatinine_in_mg_dl_is_converted_to_umol_l() -> None:
    case = base_case()
    del case["labs"]["creatinine_umol_l"]
    case["labs"]["creatinine_mg_dl"] = 1.25
    case["sofa"][0].pop("creatinine_umol_l")
    case["sofa"][0]["creatinine_mg_dl"] = 2
    case["apache_ii"].pop("creatinine_umol_l")
    case["apache_ii"]["creatinine_mg_dl"] = 1.25
    parsed = parse_case(case)
    assert parsed.labs.creatinine_umol_l == D("110.5")
    assert parsed.sofa[0].inputs.creatinine_umol_l == D("176.8")
    assert parsed.apache_ii.creatinine_umol_l == (D("110.5"),)


def test_creatinine_in_mg_dl_gives_the_same_egfr_as_in_umol_l() -> None:
    case = base_case()
    case["labs"]["creatinine_umol_l"] = 110.5
    in_si = evaluate_payload(case)
    del case["labs"]["creatinine_umol_l"]
    case["labs"]["creatinine_mg_dl"] = 1.25
    assert evaluate_payload(case) == in_si


def test_bilirubin_in_mg_dl_is_converted_to_umol_l() -> None:
    case = base_case()
    del case["sofa"][0]["bilirubin_umol_l"]
    case["sofa"][0]["bilirubin_mg_dl"] = 1.2
    assert parse_case(case).sofa[0].inputs.bilirubin_umol_l == D("20.52")


def test_creatinine_in_both_units_is_refused() -> None:
    case = base_case()
    case["labs"]["creatinine_mg_dl"] = 1.25
    assert refusal(case).field == "labs.creatinine_mg_dl"


def test_creatinine_hard_limit_applies_after_conversion() -> None:
    case = base_case()
    del case["labs"]["creatinine_umol_l"]
    case["labs"]["creatinine_mg_dl"] = 30  # 2652 µmol/L
    assert refusal(case).field == "labs.creatinine_mg_dl"


def test_pao2_in_kpa_is_converted_to_mmhg() -> None:
    case = base_case()
    del case["sofa"][0]["pao2_mmhg"]
    case["sofa"][0]["pao2_kpa"] = 10
    assert parse_case(case).sofa[0].inputs.pao2_mmhg == D("75.0062")


def test_apache_variable_accepts_highest_and_lowest_values() -> None:
    case = base_case()
    case["apache_ii"]["temperature_c"] = [35.5, 39.2]
    assert parse_case(case).apache_ii.temperature_c == (D("35.5"), D("39.2"))
    assert evaluate_payload(case)["scores"]["apache_ii"] == 14  # type: ignore[call-overload]


def test_apache_value_in_a_list_is_checked_with_its_index() -> None:
    case = base_case()
    case["apache_ii"]["heart_rate"] = [60, 301]
    assert refusal(case).field == "apache_ii.heart_rate[1]"


# --- Time zone -------------------------------------------------------------------------------


def test_datetime_without_offset_is_europe_paris() -> None:
    parsed = parse_case(base_case())
    assert parsed.icu_admission == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)  # CET = UTC+1
    case = base_case()
    case["evaluated_at"] = "2025-07-09T16:00"
    case["icu_admission"] = "2025-07-01T10:00"
    case["sofa"][0]["date"] = "2025-07-02"
    case["mhla_dr"][0]["sampled_at"] = "2025-07-08T08:00"
    case["lymphocytes"][0]["sampled_at"] = "2025-07-09T06:00"
    assert parse_case(case).evaluated_at == datetime(2025, 7, 9, 14, 0, tzinfo=UTC)  # CEST


def test_datetime_with_offset_or_z_keeps_its_instant() -> None:
    case = base_case()
    case["icu_admission"] = "2025-03-01T10:00:00+00:00"
    assert parse_case(case).icu_admission == datetime(2025, 3, 1, 10, tzinfo=UTC)
    case["icu_admission"] = "2025-03-01T10:00Z"
    assert parse_case(case).icu_admission == datetime(2025, 3, 1, 10, tzinfo=UTC)


def test_wall_clock_time_skipped_by_spring_dst_change_is_refused() -> None:
    case = base_case()
    case["icu_admission"] = "2025-03-30T02:30"
    case["evaluated_at"] = "2025-04-07T16:00"
    error = refusal(case)
    assert error.field == "icu_admission"
    assert "does not exist" in error.message


def test_wall_clock_time_repeated_by_autumn_dst_change_is_refused() -> None:
    case = base_case()
    case["icu_admission"] = "2025-10-26T02:30"
    error = refusal(case)
    assert error.field == "icu_admission"
    assert "occurs twice" in error.message


def test_repeated_wall_clock_time_with_offset_is_accepted() -> None:
    case = base_case()
    case.update(icu_admission="2025-10-26T02:30+01:00", evaluated_at="2025-11-03T16:00")
    case["sofa"][0]["date"] = "2025-10-27"
    case["mhla_dr"][0]["sampled_at"] = "2025-11-02T08:00"
    case["lymphocytes"][0]["sampled_at"] = "2025-11-03T06:00"
    assert parse_case(case).icu_admission == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)


def test_python_date_and_datetime_objects_are_accepted_for_the_web_form() -> None:
    case = base_case()
    case["icu_admission"] = datetime(2025, 3, 1, 10, 0)
    case["sofa"][0]["date"] = date(2025, 3, 2)
    case["sofa"][0]["fio2"] = D("0.60")
    parsed = parse_case(case)
    assert parsed.icu_admission == datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    assert parsed.sofa[0].date == date(2025, 3, 2)


# --- Soft limits -----------------------------------------------------------------------------


def test_soft_limits_warn_without_refusing() -> None:
    case = base_case()
    case["weight_kg"] = 35
    case["lymphocytes"][0]["value"] = 0.04
    case["labs"]["ast_uln"] = 90
    _, warnings = parse_case_with_warnings(case)
    assert [w.field for w in warnings] == ["weight_kg", "lymphocytes[0].value", "labs.ast_uln"]
    assert warnings[0].params == {"value": "35", "unit": "kg", "limit": "40"}
    assert warnings[0].msgid.format(**warnings[0].params) == (
        "35 kg is unusually low (< 40 kg): check it"
    )


def test_soft_limit_edge_values_do_not_warn() -> None:
    case = base_case()
    case["weight_kg"] = 40
    case["sofa"][0]["map_mmhg"] = 130
    assert parse_case_with_warnings(case)[1] == []


def test_pao2_fio2_ratio_over_600_warns() -> None:
    case = base_case()
    case["sofa"][0].update(pao2_mmhg=140, fio2=0.21)
    _, warnings = parse_case_with_warnings(case)
    assert [w.field for w in warnings] == ["sofa[0].pao2_fio2"]


def test_example_case_has_no_warning() -> None:
    assert parse_case_with_warnings(base_case())[1] == []


# --- Lists -----------------------------------------------------------------------------------


def test_bad_case_in_a_list_is_named_by_its_index() -> None:
    bad = base_case()
    bad["sofa"][0]["fio2"] = 21
    with pytest.raises(CaseInputError) as caught:
        evaluate_payload([base_case(), bad])
    assert caught.value.field == "[1].sofa[0].fio2"
    assert caught.value.message == "FiO₂ is a fraction between 0.21 and 1.00"


def test_null_in_a_list_of_apache_values_is_refused_with_its_index() -> None:
    case = base_case()
    case["apache_ii"]["sodium_mmol_l"] = [140, None]
    assert refusal(case).field == "apache_ii.sodium_mmol_l[1]"


def test_contraception_agreement_must_be_boolean_or_not_applicable() -> None:
    case = base_case()
    case["inclusion"]["contraception_agreement"] = "maybe"
    assert refusal(case).field == "inclusion.contraception_agreement"
