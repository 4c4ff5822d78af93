"""The audit log offers a static list of actions (docs/decisions/0022) instead of reading
the table's distinct actions: every action the code records must be in it."""

from __future__ import annotations

import ast
from pathlib import Path

from audit.actions import ACTIONS, FAMILIES

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "accounts audit participants eligibility randomization crf monitoring exports sites platinium"
)


def recorded_actions(source: str) -> tuple[set[str], set[str]]:
    """(literal actions, prefixes of the built ones) of the `record(...)` calls in source."""
    literal: set[str] = set()
    built: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        # `action = "..."` then `record(action, ...)`.
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "action" for t in node.targets
        ):
            _collect(node.value, literal, built)
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = getattr(func, "id", None) or getattr(func, "attr", None)
        if name != "record":
            continue
        _collect(node.args[0], literal, built)
    return literal, built


def _collect(expr: ast.expr, literal: set[str], built: set[str]) -> None:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        literal.add(expr.value)
    elif isinstance(expr, ast.IfExp):
        _collect(expr.body, literal, built)
        _collect(expr.orelse, literal, built)
    elif isinstance(expr, ast.JoinedStr):
        head = expr.values[0]
        built.add(str(head.value) if isinstance(head, ast.Constant) else "")


def actions_in_code() -> tuple[set[str], set[str]]:
    literal: set[str] = set()
    built: set[str] = set()
    for app in APPS.split():
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found_literal, found_built = recorded_actions(path.read_text())
            literal |= found_literal
            built |= found_built
    return literal, built


def test_every_recorded_action_is_offered_by_the_audit_log() -> None:
    literal, built = actions_in_code()
    assert len(literal) > 40
    assert literal - set(ACTIONS) == set()
    # Actions built with an f-string begin with a family the filter offers.
    assert {b for b in built if not b.startswith(FAMILIES)} == set()


def test_negative_control_a_new_action_is_noticed() -> None:
    literal, built = recorded_actions(
        'record("crf.new_thing", target=x, by=u)\nrecord(f"sdv.{kind}", target=x, by=u)\n'
        'action = "crf.other"\nrecord(action, target=x, by=u)'
    )
    assert literal - set(ACTIONS) == {"crf.new_thing", "crf.other"}
    assert {b for b in built if not b.startswith(FAMILIES)} == {"sdv."}


def test_every_action_has_a_label_in_french() -> None:
    """The audit log names actions in the user's language, never by their code."""
    from django.utils import translation

    from audit.actions import FAMILIES, FAMILY_LABELS, action_label

    with translation.override("fr"):
        unnamed = [a for a in ACTIONS if action_label(a) == a]
        assert unnamed == []
        assert action_label("crf.dailyfollowup.update").startswith("Formulaire modifié · ")
        assert action_label("query.answered") == "Query répondue"
        assert set(FAMILY_LABELS) == set(FAMILIES)
    # Negative control: an action nobody named stays its code (and the test above sees it).
    assert action_label("crf.unknown_thing") == "crf.unknown_thing"
