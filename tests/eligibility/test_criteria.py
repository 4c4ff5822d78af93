"""The 31 criteria of protocol.md §4, every boundary of its "Definitions", and §6 missing rules."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from eligibility import parameters
from eligibility.case import local_instant
from eligibility.criteria import (
    CRITERIA,
    CRITERION_CODES,
    EXCLUSION_QUESTIONS,
    Course,
    DatedSofa,
    Sample,
    e4,
    e13,
    e14,
    e18,
    e19,
    e20,
    i1,
    i3,
    i4,
    i7,
    sofa_first_week_max,
    yes_no_exclusion,
    yes_no_inclusion,
)
from eligibility.engine import evaluate_json
from eligibility.scores import ApacheIIScore, SofaScore
from tests.eligibility.builders import base_case

D = Decimal


def paris(text: str) -> datetime:
    return local_instant(datetime.fromisoformat(text), "test")


def status_of(case: dict[str, Any], code: str) -> str:
    output = evaluate_json(case)
    if code in output["failed"]:
        return "failed"
    if code in output["missing"]:
        return "missing"
    return "met"


def test_criteria_are_the_31_codes_in_table_order() -> None:
    expected = [f"I{n}" for n in range(1, 8)] + [f"E{n}" for n in range(1, 25)]
    assert list(CRITERION_CODES) == expected
    assert all(c.kind == ("inclusion" if c.code[0] == "I" else "exclusion") for c in CRITERIA)


def test_base_case_is_eligible() -> None:
    assert evaluate_json(base_case())["status"] == "eligible"


# --- I1 --------------------------------------------------------------------------------------

ADMISSION = paris("2025-03-01T10:00")


def test_exactly_168_hours_in_icu_passes_i1() -> None:
    assert i1(58, ADMISSION, ADMISSION + timedelta(hours=168)).status == "met"


def test_one_second_less_than_168_hours_fails_i1() -> None:
    result = i1(58, ADMISSION, ADMISSION + timedelta(hours=168, seconds=-1))
    assert result.status == "failed"
    assert result.params["hours"] == "167.99"


def test_age_18_passes_i1_and_17_fails() -> None:
    evaluated = ADMISSION + timedelta(days=8)
    assert i1(18, ADMISSION, evaluated).status == "met"
    assert i1(17, ADMISSION, evaluated).status == "failed"


def test_age_under_18_fails_i1_even_without_times() -> None:
    assert i1(17, None, None).status == "failed"


def test_missing_age_with_168_hours_leaves_i1_missing() -> None:
    assert i1(None, ADMISSION, ADMISSION + timedelta(days=8)).status == "missing"


def test_missing_age_with_too_short_stay_fails_i1() -> None:
    assert i1(None, ADMISSION, ADMISSION + timedelta(days=2)).status == "failed"


def test_missing_evaluation_time_leaves_i1_missing() -> None:
    assert i1(58, ADMISSION, None).status == "missing"


def test_168_hours_across_spring_dst_change_end_at_13h_wall_clock_and_pass_i1() -> None:
    admission = paris("2025-03-29T12:00")  # CET; clocks go forward on 2025-03-30
    assert i1(58, admission, paris("2025-04-05T13:00")).status == "met"
    # 12:00 wall clock shows "7 days later" but only 167 h have elapsed.
    assert i1(58, admission, paris("2025-04-05T12:00")).status == "failed"


def test_168_hours_across_autumn_dst_change_end_at_11h_wall_clock_and_pass_i1() -> None:
    admission = paris("2025-10-20T12:00")  # CEST; clocks go back on 2025-10-26
    assert i1(58, admission, paris("2025-10-27T11:00")).status == "met"
    assert i1(58, admission, paris("2025-10-27T10:59")).status == "failed"


def test_i1_through_the_engine_with_spring_dst_change() -> None:
    case = base_case()
    case["icu_admission"] = "2025-03-29T12:00"
    case["evaluated_at"] = "2025-04-05T13:00"
    case["sofa"][0]["date"] = "2025-03-30"
    case["mhla_dr"][0]["sampled_at"] = "2025-04-04T08:00"
    case["lymphocytes"][0]["sampled_at"] = "2025-04-05T06:00"
    assert evaluate_json(case)["status"] == "eligible"
    case["evaluated_at"] = "2025-04-05T12:59"
    assert evaluate_json(case)["failed"] == ["I1"]


# --- I2, I5, I6, I7 --------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["I2", "I5", "I6"])
@pytest.mark.parametrize(
    ("answer", "status"), [(True, "met"), (False, "failed"), (None, "missing")]
)
def test_yes_no_inclusion_answers(code: str, answer: bool | None, status: str) -> None:
    assert yes_no_inclusion(code, answer).status == status


@pytest.mark.parametrize(
    ("answer", "status"),
    [(True, "met"), ("not_applicable", "met"), (False, "failed"), (None, "missing")],
)
def test_contraception_agreement_or_not_applicable_passes_i7(answer: Any, status: str) -> None:
    assert i7(answer).status == status


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("expected_icu_stay_over_10_days", "I2"),
        ("consent_obtained", "I5"),
        ("social_security_affiliation", "I6"),
        ("contraception_agreement", "I7"),
    ],
)
def test_inclusion_answer_no_fails_through_the_engine(key: str, code: str) -> None:
    case = base_case()
    case["inclusion"][key] = False
    assert evaluate_json(case)["failed"] == [code]
    del case["inclusion"][key]
    assert evaluate_json(case)["missing"] == [code]


# --- I3 --------------------------------------------------------------------------------------


def sofa_score(adjusted: int | None, low: int | None = None, high: int | None = None) -> SofaScore:
    return SofaScore(
        components={},
        total=adjusted,
        adjusted=adjusted,
        missing=() if adjusted else ("cns",),
        adjusted_min=adjusted if low is None else low,  # type: ignore[arg-type]
        adjusted_max=adjusted if high is None else high,  # type: ignore[arg-type]
    )


def test_adjusted_sofa_6_passes_i3() -> None:
    assert i3([DatedSofa(3, sofa_score(6))]).status == "met"


def test_adjusted_sofa_5_fails_i3() -> None:
    assert i3([DatedSofa(3, sofa_score(5))]).status == "failed"


def test_sofa_6_on_icu_day_7_passes_i3_and_on_day_8_fails() -> None:
    assert i3([DatedSofa(7, sofa_score(6))]).status == "met"
    result = i3([DatedSofa(1, sofa_score(5)), DatedSofa(8, sofa_score(10))])
    assert result.status == "failed"
    assert result.msgid == "Adjusted SOFA reaches {limit} only after ICU day {day}"


def test_no_sofa_assessment_leaves_i3_missing() -> None:
    assert i3([]).status == "missing"


def test_incomplete_first_week_assessment_without_complete_6_leaves_i3_missing() -> None:
    result = i3([DatedSofa(2, sofa_score(5)), DatedSofa(3, sofa_score(None, 2, 9))])
    assert result.status == "missing"


def test_incomplete_first_week_assessment_beside_a_complete_6_passes_i3() -> None:
    assert i3([DatedSofa(2, sofa_score(6)), DatedSofa(3, sofa_score(None, 0, 24))]).status == "met"


def test_incomplete_assessment_after_day_7_does_not_block_failing_i3() -> None:
    assert i3([DatedSofa(2, sofa_score(4)), DatedSofa(9, sofa_score(None, 0, 24))]).status == (
        "failed"
    )


def test_only_assessments_after_icu_day_7_fail_i3() -> None:
    assert i3([DatedSofa(8, sofa_score(3))]).status == "failed"


def test_unplaceable_assessment_leaves_i3_missing() -> None:
    assert i3([DatedSofa(None, sofa_score(9))]).status == "missing"


def test_first_week_max_ignores_days_after_7() -> None:
    assert sofa_first_week_max([DatedSofa(1, sofa_score(5)), DatedSofa(8, sofa_score(10))]) == 5


def test_first_week_max_is_none_without_first_week_assessment() -> None:
    assert sofa_first_week_max([DatedSofa(8, sofa_score(10))]) is None


def test_first_week_max_is_none_when_an_incomplete_assessment_could_be_higher() -> None:
    assessments = [DatedSofa(1, sofa_score(7)), DatedSofa(2, sofa_score(None, 5, 9))]
    assert sofa_first_week_max(assessments) is None


def test_first_week_max_is_known_when_no_incomplete_assessment_can_exceed_it() -> None:
    assessments = [DatedSofa(1, sofa_score(7)), DatedSofa(2, sofa_score(None, 2, 6))]
    assert sofa_first_week_max(assessments) == 7


def test_icu_day_1_is_the_paris_calendar_date_of_admission() -> None:
    case = base_case()
    case["icu_admission"] = "2025-03-01T23:30:00Z"  # 00:30 on 2 March in Paris → ICU day 1
    case["sofa"][0]["date"] = "2025-03-08"  # ICU day 7
    case["evaluated_at"] = "2025-03-09T23:30"
    assert status_of(case, "I3") == "met"
    case["icu_admission"] = "2025-03-01T22:30:00Z"  # 23:30 on 1 March → 8 March is ICU day 8
    assert status_of(case, "I3") == "failed"


def test_respiratory_failure_of_neurological_origin_is_removed_before_i3() -> None:
    case = base_case()
    sofa = case["sofa"][0]
    sofa.update(
        platelets_g_l=160,
        bilirubin_umol_l=10,
        norepinephrine_ug_kg_min=0,
        map_mmhg=64,
        gcs=13,
        creatinine_umol_l=120,
        urine_output_ml_24h=1500,
    )
    # respiration 3 + coagulation 0 + liver 0 + cardiovascular 1 + CNS 1 + renal 1 = 6
    assert evaluate_json(case)["scores"]["sofa_first_week_max"] == 6
    assert status_of(case, "I3") == "met"
    sofa["respiratory_failure_due_to_neurological_failure"] = True
    assert evaluate_json(case)["scores"]["sofa_first_week_max"] == 3
    assert status_of(case, "I3") == "failed"


def test_sofa_missing_value_leaves_i3_missing_and_first_week_max_null() -> None:
    case = base_case()
    case["sofa"][0]["gcs"] = None
    output = evaluate_json(case)
    assert output["missing"] == ["I3"]
    assert output["scores"]["sofa_first_week_max"] is None


# --- I4 --------------------------------------------------------------------------------------

EVALUATED = paris("2025-03-09T16:00")


def i4_status(mhla: str, lymphocytes: str, apart: timedelta = timedelta(hours=10)) -> str:
    t2 = paris("2025-03-09T06:00")
    return i4([Sample(t2 - apart, D(mhla))], [Sample(t2, D(lymphocytes))], EVALUATED).status


def test_mhla_dr_exactly_8000_fails_i4() -> None:
    assert i4_status("8000", "620") == "failed"


def test_mhla_dr_7999_passes_i4() -> None:
    assert i4_status("7999", "620") == "met"


def test_lymphocytes_exactly_1000_fail_i4() -> None:
    assert i4_status("4800", "1000") == "failed"


def test_lymphocytes_999_pass_i4() -> None:
    assert i4_status("4800", "999") == "met"


def test_samples_exactly_96_hours_apart_pass_i4() -> None:
    assert i4_status("4800", "620", timedelta(hours=96)) == "met"


def test_samples_96_hours_and_1_second_apart_fail_i4() -> None:
    assert i4_status("4800", "620", timedelta(hours=96, seconds=1)) == "failed"


def test_sample_order_does_not_matter_for_i4() -> None:
    t = paris("2025-03-05T06:00")
    mhla = [Sample(t + timedelta(hours=96), D(4800))]
    assert i4(mhla, [Sample(t, D(620))], EVALUATED).status == "met"


def test_96_hours_across_autumn_dst_change_pass_i4() -> None:
    lymphocytes = [Sample(paris("2025-10-24T10:00"), D(620))]  # CEST
    evaluated = paris("2025-10-29T10:00")
    # 09:00 CET on 28 October is exactly 96 h later (the wall clock shows 95 h).
    assert i4([Sample(paris("2025-10-28T09:00"), D(4800))], lymphocytes, evaluated).status == "met"
    # 10:00 looks like 96 h on the wall clock but 97 h have elapsed.
    assert (
        i4([Sample(paris("2025-10-28T10:00"), D(4800))], lymphocytes, evaluated).status == "failed"
    )


def test_96_hours_across_spring_dst_change_pass_i4() -> None:
    lymphocytes = [Sample(paris("2025-03-28T10:00"), D(620))]  # CET
    evaluated = paris("2025-04-02T10:00")
    assert i4([Sample(paris("2025-04-01T11:00"), D(4800))], lymphocytes, evaluated).status == "met"
    assert (
        i4([Sample(paris("2025-04-01T11:01"), D(4800))], lymphocytes, evaluated).status == "failed"
    )


def test_i4_pairs_any_qualifying_mhla_dr_with_any_qualifying_lymphocyte_count() -> None:
    t = paris("2025-03-09T06:00")
    mhla = [
        Sample(t - timedelta(hours=200), D(4800)),
        Sample(t - timedelta(hours=5), D(9000)),
        Sample(t - timedelta(hours=50), D(7000)),
    ]
    assert i4(mhla, [Sample(t, D(1500)), Sample(t, D(800))], EVALUATED).status == "met"


def test_sample_after_evaluation_does_not_count_for_i4() -> None:
    t = paris("2025-03-09T16:01")
    assert i4([Sample(t, D(4800))], [Sample(t, D(620))], EVALUATED).status == "failed"


def test_no_lymphocyte_count_leaves_i4_missing() -> None:
    assert i4([Sample(EVALUATED, D(4800))], [], EVALUATED).status == "missing"


def test_no_lymphocyte_count_with_only_high_mhla_dr_fails_i4() -> None:
    assert i4([Sample(EVALUATED, D(9000))], [], EVALUATED).status == "failed"


def test_lymphocyte_count_without_time_leaves_i4_missing() -> None:
    assert i4([Sample(EVALUATED, D(4800))], [Sample(None, D(620))], EVALUATED).status == "missing"


def test_missing_evaluation_time_leaves_qualifying_pair_missing_for_i4() -> None:
    assert i4([Sample(EVALUATED, D(4800))], [Sample(EVALUATED, D(620))], None).status == "missing"


@pytest.mark.parametrize(
    ("value", "unit", "status"),
    [
        (0.62, "G/L", "met"),
        (0.999, "G/L", "met"),
        (1.0, "G/L", "failed"),
        (1, "G/L", "failed"),
        (999, "/mm3", "met"),
        (1000, "/mm3", "failed"),
        (0.99, "10^3/µL", "met"),
    ],
)
def test_lymphocyte_units_through_the_engine(value: float, unit: str, status: str) -> None:
    case = base_case()
    case["lymphocytes"][0].update(value=value, unit=unit)
    assert status_of(case, "I4") == status


# --- E4 --------------------------------------------------------------------------------------


def apache_score(total: int | None, total_min: int = 0) -> ApacheIIScore:
    return ApacheIIScore(
        physiology={},
        glasgow=0,
        age=0,
        chronic_health=0,
        acute_physiology=total,
        total=total,
        missing=() if total is not None else ("arterial_ph",),
        total_min=total_min,
    )


def test_apache_ii_29_passes_e4() -> None:
    assert e4(apache_score(29)).status == "met"


def test_apache_ii_30_is_excluded_by_e4() -> None:
    assert e4(apache_score(30)).status == "failed"


def test_apache_ii_missing_leaves_e4_missing() -> None:
    assert e4(apache_score(None, 29)).status == "missing"


def test_apache_ii_partial_points_reaching_30_fail_e4() -> None:
    assert e4(apache_score(None, 30)).status == "failed"


def test_apache_ii_30_through_the_engine_fails_e4() -> None:
    case = base_case()
    # Example total 11; MAP 48 (+2 more), HR 145 (+1), temperature 39.4 (+3), GCS 5 (+6),
    # nonoperative (+5) → 28; pH 7.24 (+3) → 31; pH 7.25 (+2) → 30; pH 7.26 → 30; pH 7.33 → 28.
    case["apache_ii"].update(
        map_mmhg=48,
        heart_rate=145,
        temperature_c=39.4,
        gcs=5,
        chronic_health="nonoperative",
        arterial_ph=7.26,
    )
    output = evaluate_json(case)
    assert (output["scores"]["apache_ii"], output["failed"]) == (30, ["E4"])
    case["apache_ii"]["heart_rate"] = 139  # 3 → 2 points
    output = evaluate_json(case)
    assert (output["scores"]["apache_ii"], output["failed"]) == (29, [])


# --- E13 -------------------------------------------------------------------------------------

WEIGHT = D(70)


def e13_status(
    *courses: Course, weight: Decimal | None = WEIGHT, other: bool | None = False
) -> str:
    return e13(other, list(courses), weight).status


def test_non_steroid_immunosuppressive_drug_fails_e13() -> None:
    assert e13(True, [], WEIGHT).status == "failed"


def test_no_corticosteroid_passes_e13() -> None:
    assert e13_status() == "met"


def test_prednisone_exactly_1_mg_per_kg_for_10_days_passes_e13() -> None:
    assert e13_status(Course("prednisone", D(70), D(10))) == "met"


def test_prednisone_over_1_mg_per_kg_for_8_days_fails_e13() -> None:
    assert e13_status(Course("prednisone", D("70.1"), D(8))) == "failed"


def test_prednisone_over_1_mg_per_kg_for_exactly_7_days_passes_e13() -> None:
    assert e13_status(Course("prednisone", D(200), D(7))) == "met"


def test_dexamethasone_exactly_1_mg_per_kg_equivalent_passes_e13() -> None:
    # 10.5 mg dexamethasone = 70 mg prednisone = 1 mg/kg for 70 kg: not > 1.
    assert e13_status(Course("dexamethasone", D("10.5"), D(10))) == "met"
    assert e13_status(Course("dexamethasone", D("10.51"), D(10))) == "failed"


def test_methylprednisolone_80_mg_for_10_days_at_70_kg_fails_e13() -> None:
    assert e13_status(Course("methylprednisolone", D(80), D(10))) == "failed"


def test_corticosteroid_course_of_exactly_90_days_passes_e13_and_91_fails() -> None:
    assert e13_status(Course("hydrocortisone", D(20), D(90))) == "met"
    assert e13_status(Course("hydrocortisone", D(20), D(91))) == "failed"


def test_fludrocortisone_counts_0_mg_prednisone_but_a_course_over_90_days_fails_e13() -> None:
    assert e13_status(Course("fludrocortisone", D(50), D(30))) == "met"
    assert parameters.FLUDROCORTISONE_COUNTS_FOR_LONG_COURSE
    assert e13_status(Course("fludrocortisone", D("0.05"), D(91))) == "failed"


def test_missing_weight_with_a_corticosteroid_course_leaves_e13_missing() -> None:
    assert e13_status(Course("hydrocortisone", D(50), D(3)), weight=None) == "missing"


def test_missing_weight_with_a_course_over_90_days_still_fails_e13() -> None:
    assert e13_status(Course("hydrocortisone", D(50), D(100)), weight=None) == "failed"


def test_missing_weight_without_corticosteroid_passes_e13() -> None:
    assert e13_status(weight=None) == "met"


def test_unanswered_corticosteroid_exposure_leaves_e13_missing() -> None:
    assert e13(False, None, WEIGHT).status == "missing"


def test_unanswered_non_steroid_drug_leaves_e13_missing() -> None:
    assert e13_status(other=None) == "missing"


def test_course_without_dose_leaves_e13_missing_unless_short() -> None:
    assert e13_status(Course("prednisone", None, D(10))) == "missing"
    assert e13_status(Course("prednisone", None, D(7))) == "met"


def test_course_without_duration_leaves_e13_missing() -> None:
    assert e13_status(Course("prednisone", D(10), None)) == "missing"


def test_weight_through_the_engine_changes_e13() -> None:
    case = base_case()
    case["corticosteroids"] = [{"drug": "prednisolone", "daily_dose_mg": 80, "duration_days": 8}]
    assert status_of(case, "E13") == "met"  # 80 mg / 80 kg = 1 mg/kg
    case["weight_kg"] = 79.9
    assert status_of(case, "E13") == "failed"
    case["weight_kg"] = None
    assert status_of(case, "E13") == "missing"


# --- E14 -------------------------------------------------------------------------------------


def test_platelets_exactly_50_pass_e14() -> None:
    assert e14(D(50)).status == "met"


def test_platelets_49_fail_e14() -> None:
    assert e14(D(49)).status == "failed"


def test_platelets_missing_leave_e14_missing() -> None:
    assert e14(None).status == "missing"


# --- E18 -------------------------------------------------------------------------------------


def test_ast_exactly_5_times_uln_passes_e18() -> None:
    assert e18(D(200), D(40), D(45), D(40)).status == "met"


def test_ast_above_5_times_uln_fails_e18() -> None:
    assert e18(D("200.1"), D(40), D(45), D(40)).status == "failed"


def test_alt_exactly_5_times_uln_passes_e18_and_above_fails() -> None:
    assert e18(D(60), D(40), D("200.5"), D("40.1")).status == "met"
    assert e18(D(60), D(40), D("200.6"), D("40.1")).status == "failed"


def test_missing_alt_leaves_e18_missing() -> None:
    assert e18(D(60), D(40), None, D(40)).status == "missing"


def test_missing_alt_uln_leaves_e18_missing() -> None:
    assert e18(D(60), D(40), D(45), None).status == "missing"


def test_missing_alt_with_ast_above_5_times_uln_fails_e18() -> None:
    assert e18(D(201), D(40), None, None).status == "failed"


# --- E19 -------------------------------------------------------------------------------------


def test_no_suspected_pancreatitis_passes_e19_without_enzymes() -> None:
    assert e19(False, None, None, None, None).status == "met"


def test_unanswered_pancreatitis_leaves_e19_missing() -> None:
    assert e19(None, D(30), D(60), None, None).status == "missing"


def test_suspected_pancreatitis_without_enzyme_leaves_e19_missing() -> None:
    assert e19(True, None, None, None, None).status == "missing"


def test_suspected_pancreatitis_with_enzyme_but_no_uln_leaves_e19_missing() -> None:
    assert e19(True, D(500), None, None, None).status == "missing"


def test_suspected_pancreatitis_with_lipase_exactly_3_times_uln_passes_e19() -> None:
    assert e19(True, D(180), D(60), None, None).status == "met"


def test_suspected_pancreatitis_with_lipase_above_3_times_uln_fails_e19() -> None:
    assert e19(True, D("180.1"), D(60), None, None).status == "failed"


def test_suspected_pancreatitis_with_amylase_above_3_times_uln_fails_e19() -> None:
    assert e19(True, D(30), D(60), D(301), D(100)).status == "failed"


def test_suspected_pancreatitis_with_only_normal_lipase_passes_e19() -> None:
    assert e19(True, D(30), D(60), None, None).status == "met"


def test_enzymes_above_3_times_uln_without_suspicion_pass_e19() -> None:
    assert e19(False, D(900), D(60), D(900), D(100)).status == "met"


# --- E20 -------------------------------------------------------------------------------------


def test_egfr_exactly_10_passes_e20() -> None:
    assert e20(D(10)).status == "met"


def test_egfr_just_under_10_fails_e20_unrounded() -> None:
    result = e20(D("9.9999"))
    assert result.status == "failed"
    assert result.params["value"] == "9.99"


def test_egfr_missing_leaves_e20_missing() -> None:
    assert e20(None).status == "missing"


@pytest.mark.parametrize(("creatinine", "status"), [(400, "met"), (700, "failed")])
def test_egfr_through_the_engine(creatinine: int, status: str) -> None:
    case = base_case()  # male, 58: eGFR 14.9 at 400 µmol/L, 7.9 at 700 µmol/L
    case["labs"]["creatinine_umol_l"] = creatinine
    assert status_of(case, "E20") == status


def test_missing_sex_leaves_egfr_null_and_e20_missing() -> None:
    case = base_case()
    del case["sex"]
    output = evaluate_json(case)
    assert output["missing"] == ["E20"]
    assert output["scores"]["egfr"] is None


# --- Single-answer exclusions ----------------------------------------------------------------


@pytest.mark.parametrize(("code", "key"), list(EXCLUSION_QUESTIONS.items()))
def test_exclusion_answer_yes_fails_and_null_is_missing(code: str, key: str) -> None:
    case = base_case()
    case["exclusions"][key] = True
    assert evaluate_json(case)["failed"] == [code]
    case["exclusions"][key] = None
    assert evaluate_json(case)["missing"] == [code]
    assert yes_no_exclusion(code, False).status == "met"


def test_every_result_message_formats_with_its_params() -> None:
    case = base_case()
    case["exclusions"]["tuberculosis"] = None
    from eligibility.case import parse_case
    from eligibility.engine import evaluate

    for result in evaluate(parse_case(case)).criteria:
        assert "{" not in result.message
