"""Demographics and baseline (crf-spec.md §2.3)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_noop

from crf.facts import ParticipantFacts
from crf.rules.common import Finding, Severity, check_range, conditional, hard, require, soft
from crf.rules.conditions import ShowWhen, ShowWhenMap, each

REQUIRED = (
    "birth_month",
    "birth_year",
    "sex",
    "weight_kg",
    "weight_method",
    "height_cm",
    "admission_source",
    "admission_type",
    "main_diagnosis",
    "sepsis_at_admission",
    "mccabe",
    "residence",
)
# Charlson items cross-checked with exclusions E5, E7, E9 (crf-spec.md §2.3).
EXCLUSION_CROSS_CHECK = {
    "CONNECTIVE_TISSUE": "E5",
    "LEUKAEMIA": "E7",
    "LYMPHOMA": "E7",
    "AIDS": "E9",
}
# [INF] Above this age a "woman of childbearing potential" answer is queried.
CHILDBEARING_QUERY_AGE = 55


def age_at(birth_year: int, birth_month: int, on: date) -> int:
    """Completed years from month/year of birth (birthday assumed on the 1st)."""
    return on.year - birth_year - (1 if on.month < birth_month else 0)


# Skip logic (crf.rules.conditions): the items that apply only in some cases.
SHOW_WHEN: ShowWhenMap = {
    **each(
        ("pregnancy_test", "pregnancy_test_date"),
        ShowWhen(field="childbearing_potential", not_equals=False),
    ),
    "main_diagnosis_other": ShowWhen(field="main_diagnosis", equals="OTHER"),
    "sepsis_site": ShowWhen(field="sepsis_at_admission", equals=True),
    "charlson_items": ShowWhen(field="charlson_none", filled=False),
}


def derive(values: Mapping[str, Any], facts: ParticipantFacts) -> dict[str, Any]:
    out: dict[str, Any] = {"age_years": None, "bmi": None, "charlson_index": None}
    year, month = values.get("birth_year"), values.get("birth_month")
    if year and month and 1 <= month <= 12:
        out["age_years"] = max(age_at(year, month, facts.d0 or facts.today), 0)
    weight, height = values.get("weight_kg"), values.get("height_cm")
    if weight and height:
        bmi = Decimal(weight) / (Decimal(height) / 100) ** 2
        out["bmi"] = bmi.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    from crf.models.baseline import CHARLSON_WEIGHTS

    items = values.get("charlson_items") or []
    if items or values.get("charlson_none"):
        out["charlson_index"] = sum(CHARLSON_WEIGHTS.get(item, 0) for item in items)
    return out


def check(
    values: Mapping[str, Any], facts: ParticipantFacts, instance: Any = None
) -> list[Finding]:
    found = require(values, REQUIRED)
    sex = values.get("sex")
    cbp = values.get("childbearing_potential")
    found += conditional(values, sex == "F", ["childbearing_potential"])
    found += conditional(values, cbp is True, ["pregnancy_test"])
    found += conditional(
        values, values.get("pregnancy_test") in {"NEG", "POS"}, ["pregnancy_test_date"]
    )
    found += conditional(values, values.get("main_diagnosis") == "OTHER", ["main_diagnosis_other"])
    found += conditional(values, values.get("sepsis_at_admission") is True, ["sepsis_site"])
    items = values.get("charlson_items") or []
    if not items and not values.get("charlson_none"):
        found.append(
            Finding(
                "charlson_items",
                gettext_noop("Tick the comorbidities present, or “no Charlson comorbidity”."),
                {},
                Severity.MISSING,
            )
        )
    if items and values.get("charlson_none"):
        found.append(
            hard(
                "charlson_none",
                gettext_noop("“No Charlson comorbidity” contradicts the comorbidities ticked."),
            )
        )
    month, year = values.get("birth_month"), values.get("birth_year")
    if month is not None and not 1 <= month <= 12:
        found.append(hard("birth_month", gettext_noop("The month must be between 1 and 12.")))
    elif month and year:
        reference = facts.d0 or facts.today
        if (year, month) > (reference.year, reference.month):
            found.append(hard("birth_year", gettext_noop("The birth date is in the future.")))
        else:
            age = age_at(year, month, reference)
            if not 18 <= age <= 120:
                found.append(
                    hard(
                        "birth_year",
                        gettext_noop(
                            "Age %(age)d years is impossible for a participant: it must be 18–120."
                        ),
                        age=age,
                    )
                )
            elif age > 100:
                found.append(
                    soft(
                        "birth_year",
                        gettext_noop("Age %(age)d years is unusually high (above 100)."),
                        age=age,
                    )
                )
            if sex == "F" and cbp is True and age > CHILDBEARING_QUERY_AGE:
                found.append(
                    soft(
                        "childbearing_potential",
                        gettext_noop("Childbearing potential at age %(age)d: please confirm."),
                        age=age,
                    )
                )
    # Age and sex consistent with pregnancy items.
    if sex == "M" and (cbp is not None or values.get("pregnancy_test")):
        found.append(
            hard(
                "childbearing_potential",
                gettext_noop("Pregnancy items do not apply to a male participant."),
            )
        )
    if values.get("pregnancy_test") == "POS":
        found.append(
            soft(
                "pregnancy_test",
                gettext_noop(
                    "Positive pregnancy test in a randomised participant: check exclusion criteria."
                ),
            )
        )
    found += check_range(
        "weight_kg",
        values.get("weight_kg"),
        hard_min=20,
        hard_max=400,
        soft_below=40,
        soft_above=180,
        unit="kg",
    )
    found += check_range(
        "height_cm",
        values.get("height_cm"),
        hard_min=100,
        hard_max=250,
        soft_below=140,
        soft_above=210,
        unit="cm",
    )
    bmi = derive(values, facts)["bmi"]
    if bmi is not None and not any(
        f.field in {"weight_kg", "height_cm"} and f.severity == "hard" for f in found
    ):
        found += check_range("bmi", bmi, soft_below=15, soft_above=60, unit="kg/m²")
    for item in items:
        if item in EXCLUSION_CROSS_CHECK:
            found.append(
                soft(
                    "charlson_items",
                    gettext_noop(
                        "Comorbidity %(item)s: cross-check with exclusion criterion %(code)s."
                    ),
                    item=item,
                    code=EXCLUSION_CROSS_CHECK[item],
                )
            )
    if values.get("main_diagnosis") == "TRAUMA_BRAIN_SPINAL":
        found.append(
            soft(
                "main_diagnosis",
                gettext_noop(
                    "Trauma with brain or spinal injury: cross-check with exclusion criterion E15."
                ),
            )
        )
    if values.get("saps2") is not None:
        found += check_range("saps2", values.get("saps2"), hard_min=0, hard_max=163)
    return found
