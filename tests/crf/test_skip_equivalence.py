"""Equivalence proof (issue #11): the declared skip logic empties exactly what the
hand-written functions emptied, for every form and any values of its items."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models
from hypothesis import given, settings
from hypothesis import strategies as st

from crf.definitions import FORMS, by_slug
from crf.rules import baseline, biology, daily, drug, followup, infection, safety, stays

OLD = {
    "baseline": baseline.skipped,
    "injection": drug.skipped,
    "daily": daily.skipped,
    "d10": biology.skipped,
    "icu-stay": stays.icu_skipped,
    "hospital-discharge": stays.hospital_skipped,
    "follow-up": followup.fu_skipped,
    "end-of-study": followup.eos_skipped,
    "infection": infection.skipped,
    "adverse-event": safety.ae_skipped,
    "medication": safety.cm_skipped,
    "deviation": lambda values: set(),
}


def _domain(field: models.Field) -> st.SearchStrategy[Any]:
    if isinstance(field, ArrayField):
        codes = [c for c, _ in field.base_field.choices or []] or ["x"]
        return st.lists(st.sampled_from(codes), max_size=3, unique=True)
    if field.choices:
        return st.sampled_from([None, "", *(c for c, _ in field.choices)])
    if isinstance(field, models.BooleanField):
        return st.sampled_from([None, True, False])
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        return st.sampled_from([None, 0, 1, Decimal("0"), Decimal("2.5")])
    return st.sampled_from([None, "", "x"])


def values_of_form(slug: str) -> st.SearchStrategy[dict[str, Any]]:
    model = by_slug(slug).model
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    return st.fixed_dictionaries({f.name: _domain(f) for f in fields})


def test_every_form_is_compared():
    assert set(OLD) == {d.slug for d in FORMS}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(OLD)).flatmap(lambda s: st.tuples(st.just(s), values_of_form(s))))
def test_declared_skip_logic_equals_the_old_functions(case):
    slug, values = case
    rules = by_slug(slug).rules
    assert rules is not None
    assert rules.skipped(values) == OLD[slug](values)
