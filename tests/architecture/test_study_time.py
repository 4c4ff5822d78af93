"""Study time has one module, platinium/lib/study_time.py (protocol.md §2).

Study "today" is the Europe/Paris calendar day, never the server's date. The scan reads
every product module (not the tests) with `ast` and fails on:
- the server's date: `date.today()`, `datetime.today()`, `timezone.localdate()`;
- an instant turned into a date by hand: `.date()` on `now()`, `today()`, `localtime()`
  or `astimezone()` (what a second Paris-date helper is made of);
- another definition of the study time zone: `ZoneInfo(...)`;
- another Paris-date helper: a function named like one (`paris_date`, `to_study_date`,
  `_today`, …) defined outside the module;
- `paris_today()` without `now`: Django code passes `timezone.now()`, which the demo's
  simulated clock replaces.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import pytest

from tests.architecture.write_scan import ROOT, product_files

STUDY_TIME_MODULE = "platinium/lib/study_time.py"
SERVER_DATES = frozenset({("date", "today"), ("datetime", "today"), ("timezone", "localdate")})
INSTANT_CALLS = frozenset({"now", "today", "localtime", "astimezone"})
HELPER_NAME = re.compile(r"paris_?(date|today|day)|today|to_study_date|^_paris$|localdate")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def scan_source(source: str, path: str) -> list[Finding]:
    found: list[Finding] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if HELPER_NAME.search(node.name):
                found.append(Finding(path, node.lineno, f"Paris-date helper {node.name}()"))
            continue
        if not isinstance(node, ast.Call):
            continue
        func, name = node.func, _name(node.func)
        receiver = _name(func.value) if isinstance(func, ast.Attribute) else ""
        if (receiver, name) in SERVER_DATES or name == "localdate":
            found.append(Finding(path, node.lineno, f"server date {receiver}.{name}()"))
        elif (
            name == "date"
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Call)
            and _name(func.value.func) in INSTANT_CALLS
        ):
            found.append(Finding(path, node.lineno, f"{_name(func.value.func)}(…).date()"))
        elif name == "ZoneInfo":
            found.append(Finding(path, node.lineno, "ZoneInfo(…)"))
        elif name == "paris_today" and not node.args and not node.keywords:
            found.append(Finding(path, node.lineno, "paris_today() without now"))
    return found


def scan_product() -> list[Finding]:
    found: list[Finding] = []
    for path in product_files(ROOT):
        rel = path.relative_to(ROOT).as_posix()
        if rel != STUDY_TIME_MODULE:
            found += scan_source(path.read_text(encoding="utf-8"), rel)
    return found


def test_study_dates_come_from_the_study_time_module_only() -> None:
    assert scan_product() == []


def test_the_scan_reads_the_product_modules_and_not_the_tests() -> None:
    scanned = {p.relative_to(ROOT).as_posix() for p in product_files(ROOT)}
    assert {STUDY_TIME_MODULE, "crf/schedule.py", "eligibility/case.py"} <= scanned
    assert "randomization/services/dispensing.py" in scanned
    assert not any(p.startswith("tests/") for p in scanned)


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("from datetime import date\nx = date.today()\n", "server date date.today()"),
        ("import datetime\nx = datetime.date.today()\n", "server date date.today()"),
        ("from datetime import datetime\nx = datetime.today()\n", "server date datetime.today()"),
        ("from django.utils import timezone\nx = timezone.localdate()\n", "server date"),
        ("from django.utils import timezone\nx = timezone.now().date()\n", "now(…).date()"),
        ("x = moment.astimezone(PARIS).date()\n", "astimezone(…).date()"),
        ("x = timezone.localtime(moment).date()\n", "localtime(…).date()"),
        ("from zoneinfo import ZoneInfo\nPARIS = ZoneInfo('Europe/Paris')\n", "ZoneInfo"),
        ("def paris_date(m):\n    return m\n", "Paris-date helper"),
        ("def to_study_date(m):\n    return m\n", "Paris-date helper"),
        ("def _paris(m):\n    return m\n", "Paris-date helper"),
        ("def site_today():\n    return 1\n", "Paris-date helper"),
        ("x = paris_today()\n", "paris_today() without now"),
    ],
)
def test_negative_control_the_scan_flags_a_planted_sample(source: str, rule: str) -> None:
    (finding,) = scan_source(source, "planted.py")
    assert finding.rule.startswith(rule), finding


@pytest.mark.parametrize(
    "source",
    [
        "from platinium.lib.study_time import paris_date\nx = paris_date(timezone.now())\n",
        "x = paris_today(timezone.now())\n",
        "x = datetime.strptime(value, '%Y-%m-%d').date()\n",  # parsing, not a clock
        "x = value.date() if isinstance(value, datetime) else value\n",
        "def study_date(d0, day):\n    return d0\n",  # crf.schedule: Dn from D0
        "def paris(day, hour):\n    return day\n",  # demo: a Paris wall-clock instant
    ],
)
def test_the_scan_lets_study_time_users_pass(source: str) -> None:
    assert scan_source(source, "ordinary.py") == []
