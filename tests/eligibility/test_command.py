"""`manage.py evaluate_eligibility FILE`: protocol.md §6 interface (needs Django, no database)."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.eligibility.builders import base_case

EXPECTED_BASE = {
    "case_id": "BASE",
    "status": "eligible",
    "failed": [],
    "missing": [],
    "scores": {"sofa_first_week_max": 15, "apache_ii": 11, "egfr": 67.1},
}


def run(path: str) -> Any:
    out = io.StringIO()
    call_command("evaluate_eligibility", path, stdout=out)
    return json.loads(out.getvalue())


def test_command_prints_one_object_for_one_case(tmp_path: Path) -> None:
    source = tmp_path / "case.json"
    source.write_text(json.dumps(base_case()), encoding="utf-8")
    assert run(str(source)) == EXPECTED_BASE


def test_command_prints_a_list_for_a_list(tmp_path: Path) -> None:
    source = tmp_path / "cases.json"
    source.write_text(json.dumps([base_case(), base_case()]), encoding="utf-8")
    assert run(str(source)) == [EXPECTED_BASE, EXPECTED_BASE]


def test_command_reads_stdin_for_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(base_case())))
    assert run("-") == EXPECTED_BASE


def test_command_names_the_field_of_bad_input(tmp_path: Path) -> None:
    case = base_case()
    case["sofa"][0]["fio2"] = 21
    source = tmp_path / "case.json"
    source.write_text(json.dumps([base_case(), case]), encoding="utf-8")
    with pytest.raises(CommandError, match=r"\[1\]\.sofa\[0\]\.fio2: FiO₂ is a fraction"):
        run(str(source))


def test_command_refuses_invalid_json(tmp_path: Path) -> None:
    source = tmp_path / "case.json"
    source.write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="invalid JSON"):
        run(str(source))


def test_command_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "absent.json"))


def test_a_later_sample_is_ignored_and_the_rest_of_the_batch_is_evaluated(
    tmp_path: Path,
) -> None:
    later = base_case()
    later["case_id"] = "LATER"
    later["lymphocytes"] = [{"sampled_at": "2025-03-09T17:00", "value": 0.5, "unit": "G/L"}]
    absent = base_case()
    absent["case_id"] = "LATER"
    absent["lymphocytes"] = []
    batch, alone = tmp_path / "batch.json", tmp_path / "absent.json"
    batch.write_text(json.dumps([base_case(), later, base_case()]), encoding="utf-8")
    alone.write_text(json.dumps(absent), encoding="utf-8")
    first, middle, last = run(str(batch))
    assert first == last == EXPECTED_BASE
    assert middle == run(str(alone))  # as if the later sample were not in the file
    assert (middle["status"], middle["missing"]) == ("incomplete", ["I4"])
