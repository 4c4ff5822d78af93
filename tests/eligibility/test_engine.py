"""Outcome rule (protocol.md §4) and the §6 output object."""

from decimal import Decimal

from eligibility.case import parse_case
from eligibility.engine import evaluate, evaluate_json, evaluate_payload, round_egfr
from tests.eligibility.builders import base_case


def test_output_object_has_exactly_the_protocol_keys() -> None:
    output = evaluate_json(base_case())
    assert output == {
        "case_id": "BASE",
        "status": "eligible",
        "failed": [],
        "missing": [],
        "scores": {"sofa_first_week_max": 15, "apache_ii": 11, "egfr": 67.1},
    }


def test_any_failed_criterion_makes_the_case_not_eligible_even_with_missing_ones() -> None:
    case = base_case()
    case["exclusions"]["tuberculosis"] = True
    case["labs"]["alt_u_l"] = None
    output = evaluate_json(case)
    assert (output["status"], output["failed"], output["missing"]) == (
        "not_eligible",
        ["E11"],
        ["E18"],
    )


def test_missing_without_failure_makes_the_case_incomplete() -> None:
    case = base_case()
    case["labs"]["platelets_g_l"] = None
    assert evaluate_json(case)["status"] == "incomplete"


def test_failed_and_missing_codes_are_in_table_order() -> None:
    case = base_case()
    case["exclusions"]["study_team_member_or_relative"] = True
    case["exclusions"]["uncontrolled_secondary_infection"] = True
    case["inclusion"]["consent_obtained"] = False
    case["exclusions"]["deprived_of_liberty"] = None
    case["inclusion"]["expected_icu_stay_over_10_days"] = None
    output = evaluate_json(case)
    assert output["failed"] == ["I5", "E1", "E24"]
    assert output["missing"] == ["I2", "E23"]


def test_empty_case_is_incomplete_with_every_score_null() -> None:
    output = evaluate_json({"case_id": "empty"})
    assert output["status"] == "incomplete"
    assert len(output["missing"]) == 31
    assert output["scores"] == {"sofa_first_week_max": None, "apache_ii": None, "egfr": None}


def test_egfr_output_is_rounded_half_up_to_one_decimal() -> None:
    assert round_egfr(Decimal("67.25")) == Decimal("67.3")
    assert round_egfr(Decimal("67.35")) == Decimal("67.4")
    assert round_egfr(Decimal("9.95")) == Decimal("10.0")
    assert round_egfr(None) is None


def test_result_keeps_sofa_breakdown_apache_breakdown_and_unrounded_egfr() -> None:
    result = evaluate(parse_case(base_case()))
    assert [(a.icu_day, a.score.adjusted) for a in result.sofa] == [(2, 15)]
    assert result.sofa[0].score.components["cardiovascular"] == 4
    assert result.apache_ii.physiology["map_mmhg"] == 2
    assert result.egfr is not None and Decimal("67.1") < result.egfr < Decimal("67.15")
    assert [r.code for r in result.criteria][:3] == ["I1", "I2", "I3"]
    assert (
        result.criteria[3].message == "mHLA-DR 4800 AB/C and lymphocytes 620/mm³ sampled 22 h apart"
    )


def test_payload_object_gives_object_and_list_gives_list() -> None:
    assert isinstance(evaluate_payload(base_case()), dict)
    assert evaluate_payload([]) == []
    assert len(evaluate_payload([base_case(), base_case()])) == 2


def test_integer_case_id_is_echoed() -> None:
    case = base_case()
    case["case_id"] = 7
    assert evaluate_json(case)["case_id"] == 7
