"""Only samples taken at or before the evaluation time count for I4 (protocol I4). A later
sample is normal in a patient file: it is ignored, not refused (nothing-lost issue, defect 7)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eligibility.case import parse_case
from eligibility.engine import evaluate, evaluate_payload
from tests.eligibility.builders import base_case

# The base case is evaluated on 2025-03-09 16:00 (Paris).
LATER = "2025-03-09T17:00"
QUALIFYING_LYMPHOCYTES = {"sampled_at": LATER, "value": 0.5, "unit": "G/L"}


def _without(case: dict[str, Any], section: str, index: int) -> dict[str, Any]:
    out = copy.deepcopy(case)
    del out[section][index]
    return out


def _with_later_sample(case: dict[str, Any], section: str = "lymphocytes") -> dict[str, Any]:
    out = copy.deepcopy(case)
    sample = (
        QUALIFYING_LYMPHOCYTES
        if section == "lymphocytes"
        else {"sampled_at": LATER, "ab_per_cell": 3000}
    )
    out[section].append(dict(sample))
    return out


@pytest.mark.parametrize("section", ["lymphocytes", "mhla_dr"])
def test_a_later_sample_changes_nothing_next_to_an_earlier_one(section: str) -> None:
    case = _with_later_sample(base_case(), section)
    assert evaluate_payload(case) == evaluate_payload(base_case())
    assert parse_case(case).not_counted == (f"{section}[1]",)


def test_a_later_sample_alone_is_as_if_absent_not_a_failure() -> None:
    only_later = base_case()
    only_later["lymphocytes"] = [dict(QUALIFYING_LYMPHOCYTES)]
    absent = base_case()
    absent["lymphocytes"] = []
    output = evaluate_payload(only_later)
    assert output == evaluate_payload(absent)
    assert (output["status"], output["missing"]) == ("incomplete", ["I4"])


def test_a_qualifying_later_sample_does_not_rescue_a_failing_earlier_one() -> None:
    case = base_case()
    case["lymphocytes"] = [
        {"sampled_at": "2025-03-09T06:00", "value": 1.2, "unit": "G/L"},  # 1200 /mm³: fails
        dict(QUALIFYING_LYMPHOCYTES),
    ]
    result = evaluate(parse_case(case))
    assert result.failed == ("I4",)
    assert result.not_counted == ("lymphocytes[1]",)


def test_a_sample_exactly_at_the_evaluation_time_counts() -> None:
    case = base_case()
    case["lymphocytes"] = [{"sampled_at": "2025-03-09T16:00", "value": 0.62, "unit": "G/L"}]
    assert parse_case(case).not_counted == ()
    assert evaluate_payload(case)["status"] == "eligible"


def test_a_batch_with_a_later_sample_is_evaluated_whole() -> None:
    later = _with_later_sample(base_case())
    later["case_id"] = "LATER"
    only_later = base_case()
    only_later["case_id"] = "ONLY-LATER"
    only_later["lymphocytes"] = [dict(QUALIFYING_LYMPHOCYTES)]
    batch = [base_case(), later, only_later, base_case()]
    outputs = evaluate_payload(batch)
    assert isinstance(outputs, list)
    assert outputs[0] == outputs[3] == evaluate_payload(base_case())
    assert outputs[1] == evaluate_payload(_without(later, "lymphocytes", 1))
    assert outputs[2] == evaluate_payload(_without(only_later, "lymphocytes", 0))
