"""Daily ICU follow-up (crf-spec.md §2.6; SOFA inputs and limits §2.4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_noop

from crf import sofa
from crf.facts import ParticipantFacts
from crf.rules.common import (
    Finding,
    check_limit,
    check_range,
    conditional,
    dated,
    hard,
    require,
    soft,
)
from crf.rules.conditions import ShowWhen, ShowWhenMap
from crf.schedule import LAST_STUDY_DAY
from eligibility.limits import PAO2_FIO2, SOFA
from platinium.lib.study_time import paris_date

REQUIRED = (
    "day_date",
    "platelets_value",
    "bilirubin_value",
    "map_mmhg",
    "norepinephrine_value",
    "epinephrine_value",
    "dopamine_ug_kg_min",
    "dobutamine_ug_kg_min",
    "other_vasopressor",
    "gcs",
    "gcs_status",
    "creatinine_value",
    "rrt",
    "imv",
    "niv",
    "hfno",
    "ecmo",
    "vasopressor",
    "antimicrobial",
    "cvc",
    "arterial_catheter",
    "urinary_catheter",
    "corticosteroids",
    "temperature_max_c",
    "new_infection_suspected",
    "new_adverse_event",
    "lst_limitation",
)
VALUE_UNITS = (
    ("pao2_value", "pao2_unit"),
    ("fio2_value", "fio2_unit"),
    ("platelets_value", "platelets_unit"),
    ("bilirubin_value", "bilirubin_unit"),
    ("creatinine_value", "creatinine_unit"),
    ("norepinephrine_value", "norepinephrine_unit"),
    ("epinephrine_value", "epinephrine_unit"),
    ("lymphocytes_value", "lymphocytes_unit"),
)
# Columns of the daily grid, in tab order (inputs the user types; units are selects).
GRID_FIELDS = (
    "pao2_value",
    "pao2_unit",
    "fio2_value",
    "fio2_unit",
    "respiratory_support",
    "respiratory_failure_neurological",
    "platelets_value",
    "platelets_unit",
    "bilirubin_value",
    "bilirubin_unit",
    "map_mmhg",
    "norepinephrine_value",
    "norepinephrine_unit",
    "norepinephrine_salt",
    "epinephrine_value",
    "epinephrine_unit",
    "dopamine_ug_kg_min",
    "dobutamine_ug_kg_min",
    "other_vasopressor",
    "gcs",
    "gcs_status",
    "creatinine_value",
    "creatinine_unit",
    "urine_output_ml",
    "rrt",
    "rrt_mode",
    "imv",
    "airway",
    "niv",
    "hfno",
    "ecmo",
    "vasopressor",
    "antimicrobial",
    "cvc",
    "arterial_catheter",
    "urinary_catheter",
    "corticosteroids",
    "lymphocytes_value",
    "lymphocytes_unit",
    "temperature_max_c",
    "new_infection_suspected",
    "new_adverse_event",
    "lst_limitation",
    "lst_limitation_date",
)


# Skip logic (crf.rules.conditions).
SHOW_WHEN: ShowWhenMap = {
    "airway": ShowWhen(field="imv", equals=True),
    "rrt_mode": ShowWhen(field="rrt", equals=True),
    "lst_limitation_date": ShowWhen(field="lst_limitation", equals=True),
    "norepinephrine_salt": ShowWhen(field="norepinephrine_value", filled=True),
}


def derive(values: Mapping[str, Any], facts: ParticipantFacts) -> dict[str, Any]:
    out: dict[str, Any] = sofa.standard_values(values, facts.weight_kg)
    out["study_day"] = facts.study_day(values["day_date"]) if values.get("day_date") else None
    out.update(sofa.compute({**values, **out}))
    return out


def _in_icu(day: Any, facts: ParticipantFacts) -> bool:
    for _number, admitted, discharged in facts.icu_stays:
        if paris_date(admitted) <= day and (discharged is None or day <= paris_date(discharged)):
            return True
    return False


def check(
    values: Mapping[str, Any], facts: ParticipantFacts, instance: Any = None
) -> list[Finding]:
    found = require(values, REQUIRED)
    for value_field, unit_field in VALUE_UNITS:
        found += conditional(values, values.get(value_field) is not None, [unit_field])
    found += conditional(
        values, values.get("pao2_value") is not None, ["fio2_value", "respiratory_support"]
    )
    found += conditional(values, values.get("fio2_value") is not None, ["pao2_value"])
    found += conditional(values, bool(values.get("norepinephrine_value")), ["norepinephrine_salt"])
    found += conditional(values, values.get("imv") is True, ["airway"])
    found += conditional(values, values.get("rrt") is True, ["rrt_mode"])
    found += conditional(values, values.get("lst_limitation") is True, ["lst_limitation_date"])

    day = values.get("day_date")
    if day is not None:
        if facts.d0 is None:
            return [hard("day_date", gettext_noop("The participant is not randomised."))]
        found += dated("day_date", day, facts)
        if facts.study_day(day) > LAST_STUDY_DAY:
            found.append(
                hard(
                    "day_date",
                    gettext_noop("Daily ICU forms end at D%(last)d."),
                    last=LAST_STUDY_DAY,
                )
            )
        if facts.icu_stays and not _in_icu(day, facts):
            # An ICU readmission (a new ICU stay) reopens the daily forms.
            found.append(
                hard(
                    "day_date",
                    gettext_noop(
                        "The participant was not in the ICU on %(day)s: no daily form after ICU "
                        "discharge (record a readmission first)."
                    ),
                    day=day.isoformat(),
                )
            )
        lst_date = values.get("lst_limitation_date")
        if lst_date and lst_date > day:
            found.append(
                hard(
                    "lst_limitation_date",
                    gettext_noop("The decision date cannot be after the day of this form."),
                )
            )

    std = derive(values, facts)
    for name in (
        "pao2_mmhg",
        "fio2",
        "platelets_g_l",
        "bilirubin_umol_l",
        "creatinine_umol_l",
        "norepinephrine_ug_kg_min",
        "epinephrine_ug_kg_min",
    ):
        entered = _ENTERED[name]
        found += [_as(entered, f) for f in check_limit(name, std.get(name), SOFA[name])]
    for name in ("map_mmhg", "dopamine_ug_kg_min", "dobutamine_ug_kg_min", "gcs"):
        found += check_limit(name, values.get(name), SOFA[name])
    found += check_limit(
        "urine_output_ml", values.get("urine_output_ml"), SOFA["urine_output_ml_24h"]
    )
    if (
        std.get("pao2_mmhg")
        and std.get("fio2")
        and not any(f.field in {"pao2_value", "fio2_value"} and f.severity == "hard" for f in found)
    ):
        ratio = std["pao2_mmhg"] / std["fio2"]
        found += [_as("pao2_value", f) for f in check_limit("pao2_fio2", ratio, PAO2_FIO2)]
    per_hour = "mg/h" in {values.get("norepinephrine_unit"), values.get("epinephrine_unit")}
    if per_hour and not facts.weight_kg:
        found.append(
            hard(
                "norepinephrine_unit",
                gettext_noop(
                    "A dose in mg/h needs the baseline weight: enter it, or use µg/kg/min."
                ),
            )
        )
    found += check_range(
        "temperature_max_c",
        values.get("temperature_max_c"),
        hard_min=25,
        hard_max=45,
        soft_above=41,
        unit="°C",
    )
    found += [
        _as("lymphocytes_value", f)
        for f in check_range(
            "lymphocytes_g_l", std.get("lymphocytes_g_l"), hard_min=0, hard_max=500, unit="G/L"
        )
    ]
    drugs = [
        std.get("norepinephrine_ug_kg_min"),
        std.get("epinephrine_ug_kg_min"),
        values.get("dopamine_ug_kg_min"),
        values.get("dobutamine_ug_kg_min"),
    ]
    if values.get("vasopressor") is False and any(d for d in drugs):
        found.append(
            soft(
                "vasopressor", gettext_noop("“No vasopressor” while a vasopressor dose is entered.")
            )
        )
    if values.get("imv") is True and values.get("respiratory_support") in {
        "NONE",
        "CONVENTIONAL_O2",
        "HFNO",
    }:
        found.append(
            soft(
                "respiratory_support",
                gettext_noop(
                    "Invasive ventilation this day but not at the worst gas: please confirm."
                ),
            )
        )
    return found


_ENTERED = {
    "pao2_mmhg": "pao2_value",
    "fio2": "fio2_value",
    "platelets_g_l": "platelets_value",
    "bilirubin_umol_l": "bilirubin_value",
    "creatinine_umol_l": "creatinine_value",
    "norepinephrine_ug_kg_min": "norepinephrine_value",
    "epinephrine_ug_kg_min": "epinephrine_value",
}


def _as(name: str, finding: Finding) -> Finding:
    """Report a standard-unit check on the field the user typed."""
    return Finding(name, finding.msgid, finding.params, finding.severity)
