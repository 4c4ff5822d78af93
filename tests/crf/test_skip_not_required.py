"""What does not apply is not required (issue #11): for every form and any values, no
item the declaration skips is reported missing once the save has emptied it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models
from hypothesis import given, settings
from hypothesis import strategies as st

from crf.definitions import DEFINITIONS, CrfDefinition
from crf.form_page import stub_facts
from crf.rules.common import Severity
from crf.rules.conditions import ShowWhen
from crf.services.core import blank_value

FORMS = [d for d in DEFINITIONS if d.rules is not None and d.rules.show_when]


def _domain(field: models.Field) -> st.SearchStrategy[Any]:
    if isinstance(field, ArrayField):
        codes = [c for c, _ in field.base_field.choices or []] or ["x"]
        return st.lists(st.sampled_from(codes), max_size=2, unique=True)
    if field.choices:
        return st.sampled_from([None, *(c for c, _ in field.choices)])
    if isinstance(field, models.BooleanField):
        return st.sampled_from([None, True, False] if field.null else [True, False])
    if isinstance(field, (models.IntegerField, models.DecimalField)):
        return st.sampled_from([None, 1, Decimal("2.5")])
    return st.just(None)


def _values(definition: CrfDefinition) -> st.SearchStrategy[dict[str, Any]]:
    assert definition.rules is not None
    fields = {f.name: f for f in definition.model._meta.concrete_fields}
    read = {c.field for c in _leaves(definition)} | set(definition.rules.show_when)
    return st.fixed_dictionaries({n: _domain(fields[n]) for n in sorted(read) if n in fields})


def _leaves(definition: CrfDefinition) -> list[ShowWhen]:
    out: list[ShowWhen] = []

    def walk(c: Any) -> None:
        if isinstance(c, ShowWhen):
            out.append(c)
        else:
            for sub in c.conditions:
                walk(sub)

    assert definition.rules is not None
    for condition in definition.rules.show_when.values():
        walk(condition)
    return out


def _empty(field: models.Field) -> Any:
    typed = (models.DateField, models.TimeField, models.IntegerField, models.DecimalField)
    return None if isinstance(field, typed) else blank_value(field)


def missing_but_skipped(definition: CrfDefinition, values: dict[str, Any]) -> set[str]:
    rules = definition.rules
    assert rules is not None
    fields = {f.name: f for f in definition.model._meta.concrete_fields}
    values = {n: _empty(f) for n, f in fields.items() if not f.primary_key} | values
    off = rules.skipped(values)
    for name in off:
        values[name] = _empty(fields[name])
    found = rules.check(values, stub_facts(), None)
    return {f.field for f in found if f.severity == Severity.MISSING} & off


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FORMS).flatmap(lambda d: st.tuples(st.just(d), _values(d))))
def test_no_skipped_item_is_required(case):
    definition, values = case
    assert missing_but_skipped(definition, values) == set()


def test_negative_control_a_required_item_declared_skipped_is_caught():
    from crf.definitions import by_slug

    definition = by_slug("adverse-event")
    assert definition.rules is not None
    wrong = {**definition.rules.show_when, "term": ShowWhen(field="serious", equals=True)}
    rules = dataclasses.replace(definition.rules, show_when=wrong)
    mutated = dataclasses.replace(definition, rules=rules)
    assert missing_but_skipped(mutated, {"serious": False}) == {"term"}
