"""Adverse events (crf-spec.md §2.9) and concomitant medications (§2.10)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_noop

from crf.facts import ParticipantFacts
from crf.models.safety import (
    ANTIMICROBIAL_CATEGORIES,
    STEROID_CATEGORIES,
    AdverseEvent,
)
from crf.rules.common import Finding, conditional, hard, require, soft
from crf.rules.conditions import ShowWhen, ShowWhenMap, each
from crf.schedule import LAST_INJECTION_DAY

AE_REQUIRED = (
    "term",
    "onset_date",
    "serious",
    "severity_grade",
    "relationship",
    "action",
    "outcome",
)


# Skip logic (crf.rules.conditions): no seriousness criteria for a non-serious event.
AE_SHOW_WHEN: ShowWhenMap = {
    **each(
        (*AdverseEvent.SERIOUSNESS_FIELDS, "awareness_date"), ShowWhen(field="serious", equals=True)
    ),
    "end_date": ShowWhen(field="ongoing", not_equals=True),
}


def ae_check(
    values: Mapping[str, Any],
    facts: ParticipantFacts,
    instance: Any = None,
    *,
    first_injection_date: Any = None,
    consent_date: Any = None,
) -> list[Finding]:
    found = require(values, AE_REQUIRED)
    serious = values.get("serious")
    if values.get("ongoing") is not True and values.get("end_date") is None:
        found += require(values, ["end_date"])
    found += conditional(values, serious is True, ["awareness_date"])
    onset, end = values.get("onset_date"), values.get("end_date")
    if onset and onset > facts.today:
        found.append(hard("onset_date", gettext_noop("The date cannot be in the future.")))
    if onset and end and end < onset:
        found.append(hard("end_date", gettext_noop("The end date cannot be before the onset.")))
    # crf-spec §2.9: events are collected from consent; an earlier onset is medical history.
    if onset and consent_date and onset < consent_date:
        found.append(
            hard(
                "onset_date",
                gettext_noop("The onset cannot be before the consent date (%(consent)s)."),
                consent=consent_date.isoformat(),
            )
        )
    if serious is True and not any(values.get(f) for f in AdverseEvent.SERIOUSNESS_FIELDS):
        found.append(
            hard(
                "serious",
                gettext_noop("A serious adverse event needs at least one seriousness criterion."),
            )
        )
    grade, outcome = values.get("severity_grade"), values.get("outcome")
    if grade is not None and not 1 <= grade <= 5:
        found.append(hard("severity_grade", gettext_noop("The CTCAE grade is 1 to 5.")))
    if grade == 5 and outcome and outcome != "FATAL":
        found.append(hard("outcome", gettext_noop("Grade 5 means the outcome is fatal.")))
    if outcome == "FATAL" and grade is not None and grade != 5:
        found.append(hard("severity_grade", gettext_noop("A fatal outcome is grade 5.")))
    if outcome == "FATAL" and not facts.death_date:
        found.append(
            hard(
                "outcome",
                gettext_noop(
                    "A fatal outcome needs the death recorded (ICU discharge or follow-up form)."
                ),
            )
        )
    if values.get("sae_death") and not facts.death_date:
        found.append(
            hard(
                "sae_death",
                gettext_noop(
                    "“Results in death” needs the death recorded (ICU discharge or follow-up form)."
                ),
            )
        )
    awareness = values.get("awareness_date")
    if awareness and onset and awareness < onset:
        found.append(
            hard("awareness_date", gettext_noop("The awareness date cannot be before the onset."))
        )
    if awareness and awareness > facts.today:
        found.append(hard("awareness_date", gettext_noop("The date cannot be in the future.")))
    if (
        onset
        and facts.d0
        and facts.study_day(onset) > LAST_INJECTION_DAY
        and values.get("action") not in (None, "", "NOT_APPLICABLE")
    ):
        found.append(
            hard(
                "action",
                gettext_noop(
                    "After D%(last)d the treatment is finished: the action is “not applicable”."
                ),
                last=LAST_INJECTION_DAY,
            )
        )
    if onset and first_injection_date and onset < first_injection_date:
        found.append(
            soft(
                "onset_date",
                gettext_noop("Onset before the first injection: check it is not medical history."),
            )
        )
    if onset and facts.death_date and onset > facts.death_date:
        found.append(
            hard(
                "onset_date",
                gettext_noop("The date cannot be after the death (%(death)s)."),
                death=facts.death_date.isoformat(),
            )
        )
    return found


CM_SHOW_WHEN: ShowWhenMap = {
    **each(
        ("indication", "linked_infection"),
        ShowWhen(field="category", in_=tuple(sorted(ANTIMICROBIAL_CATEGORIES))),
    ),
    "stop_date": ShowWhen(field="ongoing", not_equals=True),
}


def cm_derive(values: Mapping[str, Any], facts: ParticipantFacts) -> dict[str, Any]:
    from eligibility.scores import prednisone_equivalent_mg

    equivalent = None
    if values.get("category") == "CORTICOSTEROID" and values.get("daily_dose_mg"):
        try:
            equivalent = prednisone_equivalent_mg(
                (values.get("drug_name") or "").strip().lower(), Decimal(values["daily_dose_mg"])
            ).quantize(Decimal("0.01"))
        except (KeyError, ValueError):
            equivalent = None  # a steroid outside the equivalence table
    return {"prednisone_equivalent_mg": equivalent}


def cm_check(
    values: Mapping[str, Any], facts: ParticipantFacts, instance: Any = None
) -> list[Finding]:
    found = require(values, ["category", "drug_name", "route", "start_date"])
    category = values.get("category")
    if values.get("ongoing") is not True and values.get("stop_date") is None:
        found += require(values, ["stop_date"])
    found += conditional(values, category in STEROID_CATEGORIES, ["dose", "dose_unit"])
    found += conditional(values, category == "CORTICOSTEROID", ["daily_dose_mg"])
    found += conditional(values, category in ANTIMICROBIAL_CATEGORIES, ["indication"])
    if values.get("dose") is not None and values["dose"] <= 0:
        found.append(hard("dose", gettext_noop("The dose must be above 0.")))
    if values.get("daily_dose_mg") is not None and values["daily_dose_mg"] <= 0:
        found.append(hard("daily_dose_mg", gettext_noop("The daily dose must be above 0.")))
    start, stop = values.get("start_date"), values.get("stop_date")
    if start and stop and stop < start:
        found.append(hard("stop_date", gettext_noop("The stop date cannot be before the start.")))
    for name, when in (("start_date", start), ("stop_date", stop)):
        if when and when > facts.today:
            found.append(hard(name, gettext_noop("The date cannot be in the future.")))
    equivalent = cm_derive(values, facts)["prednisone_equivalent_mg"]
    if equivalent and facts.weight_kg:
        found += (
            [
                soft(
                    "daily_dose_mg",
                    gettext_noop(
                        "Prednisone-equivalent dose above 1 mg/kg/day (%(value)s mg/day)."
                    ),
                    value=str(equivalent),
                )
            ]
            if equivalent > facts.weight_kg
            else []
        )
    return found
