"""Every worked case of tests/fixtures/eligibility gives exactly its expected output."""

import json
from pathlib import Path
from typing import Any

import pytest

from eligibility.engine import evaluate_json, evaluate_payload

EXAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "eligibility"


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


CASES = _load("cases.json")
EXPECTED = {item["case_id"]: item for item in _load("expected.json")}


def test_every_example_case_has_an_expected_output() -> None:
    assert sorted(case["case_id"] for case in CASES) == sorted(EXPECTED)


@pytest.mark.parametrize("case", CASES, ids=[case["case_id"] for case in CASES])
def test_example_case_gives_expected_output(case: dict[str, Any]) -> None:
    assert evaluate_json(case) == EXPECTED[case["case_id"]]


def test_example_list_gives_list_in_input_order() -> None:
    assert evaluate_payload(CASES) == [EXPECTED[case["case_id"]] for case in CASES]


def test_example_output_is_identical_when_numbers_are_parsed_as_decimals() -> None:
    from decimal import Decimal

    text = (EXAMPLES / "cases.json").read_text(encoding="utf-8")
    cases = json.loads(text, parse_float=Decimal)
    assert evaluate_payload(cases) == [EXPECTED[case["case_id"]] for case in CASES]
