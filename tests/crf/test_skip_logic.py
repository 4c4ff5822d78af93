"""Skip logic declared once (issue #11, ADR 0034): every form has a declaration, it names
only items of its form, and it gives the expected answers.

The declarations replaced hand-written `skipped()` functions after a hypothesis proof that
both emptied the same items for any values (commit "Skip logic declared as data"); the
table below keeps the cases that proof covered, stated as the protocol says them.
"""

from __future__ import annotations

import pytest

from crf.definitions import DEFINITIONS, by_slug
from crf.models.safety import AdverseEvent
from crf.rules.conditions import AllOf, AnyOf, ShowWhen, as_json, referenced, skipped
from crf.rules.drug import GIVEN_FIELDS
from crf.rules.followup import EQ5D_FIELDS

SERIOUSNESS = {*AdverseEvent.SERIOUSNESS_FIELDS, "awareness_date"}

# (form, values, items that must NOT apply, items that must apply)
CASES = [
    ("injection", {"given": True}, {"reason_not_given", "reason_not_given_other"}, {"kit_code"}),
    (
        "injection",
        {"given": False, "reason_not_given": "OTHER"},
        set(GIVEN_FIELDS),
        {"reason_not_given", "reason_not_given_other"},
    ),
    (
        "injection",
        {"given": None},
        {"reason_not_given_other", "full_dose_reason"},
        {"kit_code", "reason_not_given"},
    ),
    ("injection", {"given": True, "full_dose": False}, set(), {"full_dose_reason"}),
    ("adverse-event", {"serious": False}, SERIOUSNESS, {"end_date"}),
    ("adverse-event", {"serious": None, "ongoing": True}, SERIOUSNESS | {"end_date"}, set()),
    ("adverse-event", {"serious": True, "ongoing": False}, set(), SERIOUSNESS | {"end_date"}),
    (
        "follow-up",
        {"visit": "FU_D90", "vital_status": "ALIVE"},
        {"death_date", "death_cause", "death_cause_other"},
        set(EQ5D_FIELDS) | {"residence", "last_known_alive_date"},
    ),
    ("follow-up", {"visit": "FU_D30", "vital_status": "ALIVE"}, set(EQ5D_FIELDS), {"residence"}),
    (
        "follow-up",
        {"visit": "FU_D90", "vital_status": "DEAD", "death_cause": "OTHER"},
        set(EQ5D_FIELDS) | {"residence", "last_known_alive_date"},
        {"death_date", "death_cause", "death_cause_other"},
    ),
    (
        "follow-up",
        {"visit": "FU_D90", "vital_status": "UNKNOWN"},
        set(EQ5D_FIELDS) | {"residence", "death_date"},
        {"last_known_alive_date"},
    ),
    (
        "baseline",
        {"childbearing_potential": False, "charlson_none": True},
        {
            "pregnancy_test",
            "pregnancy_test_date",
            "charlson_items",
            "main_diagnosis_other",
            "sepsis_site",
        },
        set(),
    ),
    (
        "baseline",
        {
            "childbearing_potential": None,
            "main_diagnosis": "OTHER",
            "sepsis_at_admission": True,
            "charlson_none": False,
        },
        set(),
        {"pregnancy_test", "charlson_items", "main_diagnosis_other", "sepsis_site"},
    ),
    (
        "d10",
        {"sample_taken": False, "not_done_reason": "OTHER"},
        {"sampled_at", "mhla_dr_abc"},
        {"not_done_reason", "not_done_other"},
    ),
    (
        "d10",
        {"sample_taken": True, "not_done_reason": "OTHER"},
        {"not_done_reason", "not_done_other"},
        {"sampled_at"},
    ),
    (
        "daily",
        {"imv": True, "rrt": None, "norepinephrine_value": 0},
        {"rrt_mode", "norepinephrine_salt", "lst_limitation_date"},
        {"airway"},
    ),
    (
        "daily",
        {"imv": False, "rrt": True, "lst_limitation": True, "norepinephrine_value": 2},
        {"airway"},
        {"rrt_mode", "lst_limitation_date", "norepinephrine_salt"},
    ),
    (
        "infection",
        {"category": "BSI", "bsi_origin": "CVC", "source_control": True},
        {"pneumonia_level", "uti_type"},
        {"bsi_origin", "cri_type", "source_control_type"},
    ),
    (
        "infection",
        {"category": "BSI", "bsi_origin": "OTHER"},
        {"cri_type", "source_control_type"},
        {"bsi_origin"},
    ),
    (
        "infection",
        {"category": "PN"},
        {"bsi_origin", "cri_type", "category_other"},
        {"pneumonia_level", "pneumonia_criteria_met"},
    ),
    ("infection", {"category": "CRI"}, {"bsi_origin"}, {"cri_type"}),
    (
        "icu-stay",
        {"vital_status": "DEAD", "death_cause": "OTHER"},
        {"destination"},
        {"death_at", "death_cause", "death_cause_other", "death_after_lst_withdrawal"},
    ),
    (
        "icu-stay",
        {"vital_status": "ALIVE", "death_cause": "OTHER"},
        {"death_at", "death_cause_other"},
        {"destination"},
    ),
    (
        "hospital-discharge",
        {"vital_status": None, "transfer_counted": True},
        {"destination"},
        {"transfer_details"},
    ),
    (
        "end-of-study",
        {"end_status": "WITHDRAWN_PROXY"},
        {"contact_attempt_dates", "end_status_other"},
        {"follow_up_allowed", "objects_to_data_use"},
    ),
    (
        "end-of-study",
        {"end_status": "LOST_TO_FOLLOW_UP"},
        {"follow_up_allowed"},
        {"contact_attempt_dates"},
    ),
    (
        "medication",
        {"category": "ANTIFUNGAL", "ongoing": True},
        {"stop_date"},
        {"indication", "linked_infection"},
    ),
    (
        "medication",
        {"category": "CORTICOSTEROID", "ongoing": None},
        {"indication", "linked_infection"},
        {"stop_date"},
    ),
    ("deviation", {}, set(), set()),
]


@pytest.mark.parametrize(("slug", "values", "off", "on"), CASES)
def test_declared_skip_logic_gives_the_expected_items(slug, values, off, on):
    rules = by_slug(slug).rules
    assert rules is not None
    result = rules.skipped(values)
    assert off <= result
    assert not (on & result)


def test_every_form_declares_its_skip_logic_naming_only_its_own_items():
    for definition in DEFINITIONS:
        if definition.rules is None:
            continue  # the death record: no form of its own
        names = {f.name for f in definition.model._meta.concrete_fields}
        show_when = definition.rules.show_when  # required: {} says "every item applies"
        assert set(show_when) <= names, definition.slug
        assert referenced(show_when) <= names, definition.slug
        assert not (set(show_when) & {definition.fixed}), definition.slug


def test_every_form_with_conditional_items_is_covered_by_the_table():
    covered = {slug for slug, *_ in CASES}
    assert covered == {d.slug for d in DEFINITIONS if d.rules is not None}


def test_a_condition_takes_exactly_one_test():
    with pytest.raises(ValueError):
        ShowWhen(field="given")
    with pytest.raises(ValueError):
        ShowWhen(field="given", equals=True, not_equals=False)


def test_equality_is_strict_as_in_javascript():
    assert not ShowWhen(field="x", equals=False).holds({"x": None})
    assert not ShowWhen(field="x", equals=False).holds({"x": 0})
    assert ShowWhen(field="x", not_equals=False).holds({})
    assert ShowWhen(field="x", filled=False).holds({"x": 0})
    assert ShowWhen(field="x", filled=True).holds({"x": "2.5"})


def test_the_declaration_is_plain_json_data():
    show_when = {
        "a": AnyOf(ShowWhen(field="b", in_=("X", "Y")), AllOf(ShowWhen(field="c", equals=True))),
    }
    assert as_json(show_when) == {
        "a": {"any": [{"field": "b", "in": ["X", "Y"]}, {"all": [{"field": "c", "equals": True}]}]}
    }
    assert skipped(show_when, {"b": "Z", "c": False}) == {"a"}
