"""ICU stay / ICU discharge (crf-spec.md §2.11) and hospital discharge (§2.12)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_noop

from crf.facts import ParticipantFacts
from crf.rules.common import Finding, Severity, conditional, hard, local, require, soft
from crf.rules.conditions import AllOf, ShowWhen, ShowWhenMap, each
from platinium.lib.study_time import paris_date

MAX_PLAUSIBLE_ICU_LOS = timedelta(days=180)


# Skip logic (crf.rules.conditions).
ICU_SHOW_WHEN: ShowWhenMap = {
    **each(
        ("death_at", "death_cause", "death_after_lst_withdrawal"),
        ShowWhen(field="vital_status", equals="DEAD"),
    ),
    "death_cause_other": AllOf(
        ShowWhen(field="vital_status", equals="DEAD"),
        ShowWhen(field="death_cause", equals="OTHER"),
    ),
    "destination": ShowWhen(field="vital_status", equals="ALIVE"),
}


def icu_check(
    values: Mapping[str, Any],
    facts: ParticipantFacts,
    instance: Any = None,
    *,
    last_daily_date: Any = None,
) -> list[Finding]:
    """`last_daily_date`: the latest daily form dated within this stay (discharge ≥ it)."""
    found = require(values, ["admitted_at"])
    admitted, discharged = values.get("admitted_at"), values.get("discharged_at")
    vital = values.get("vital_status")
    if not discharged and not values.get("ongoing_at_d90"):
        found.append(
            Finding("discharged_at", gettext_noop("This item is required."), {}, Severity.MISSING)
        )
    found += conditional(values, bool(discharged), ["vital_status"])
    found += conditional(
        values, vital == "DEAD", ["death_at", "death_cause", "death_after_lst_withdrawal"]
    )
    found += conditional(values, values.get("death_cause") == "OTHER", ["death_cause_other"])
    found += conditional(values, vital == "ALIVE", ["destination"])
    if vital and not discharged:
        found.append(
            hard(
                "vital_status",
                gettext_noop("Enter the ICU discharge date/time with the vital status."),
            )
        )
    if admitted and discharged:
        if discharged < admitted:
            found.append(
                hard(
                    "discharged_at",
                    gettext_noop(
                        "The ICU discharge (%(discharged)s) cannot be before the admission "
                        "(%(admitted)s)."
                    ),
                    discharged=local(discharged),
                    admitted=local(admitted),
                )
            )
        elif discharged - admitted > MAX_PLAUSIBLE_ICU_LOS:
            found.append(
                soft(
                    "discharged_at",
                    gettext_noop("ICU stay longer than 180 days: please confirm the dates."),
                )
            )
    if discharged and discharged > facts.now:
        found.append(hard("discharged_at", gettext_noop("The discharge cannot be in the future.")))
    if admitted and admitted > facts.now:
        found.append(hard("admitted_at", gettext_noop("The admission cannot be in the future.")))
    if discharged and last_daily_date and paris_date(discharged) < last_daily_date:
        found.append(
            hard(
                "discharged_at",
                gettext_noop("A daily ICU form exists for %(day)s, after this discharge."),
                day=last_daily_date.isoformat(),
            )
        )
    number = values.get("stay_number") or 1
    if admitted and number > 1 and facts.randomized_at and admitted < facts.randomized_at:
        found.append(
            hard(
                "admitted_at",
                gettext_noop("A readmission must be after randomisation (%(t_r)s)."),
                t_r=local(facts.randomized_at),
            )
        )
    for other_number, other_admitted, other_discharged in facts.icu_stays:
        if other_number == number or admitted is None:
            continue
        end = discharged or facts.now
        other_end = other_discharged or facts.now
        if admitted < other_end and other_admitted < end:
            found.append(
                hard(
                    "admitted_at",
                    gettext_noop("This stay overlaps ICU stay %(number)d."),
                    number=other_number,
                )
            )
        if other_number < number and other_discharged is None:
            found.append(
                hard(
                    "admitted_at",
                    gettext_noop(
                        "ICU stay %(number)d has no discharge yet: record it before a readmission."
                    ),
                    number=other_number,
                )
            )
    death_at = values.get("death_at")
    if vital == "DEAD" and death_at and discharged and death_at != discharged:
        found.append(
            hard(
                "death_at",
                gettext_noop(
                    "A death in the ICU: the date/time of death equals the ICU discharge date/time."
                ),
            )
        )
    if death_at and facts.randomized_at and death_at < facts.randomized_at:
        found.append(hard("death_at", gettext_noop("The death cannot be before randomisation.")))
    if (
        vital == "ALIVE"
        and facts.death_date
        and discharged
        and (paris_date(discharged) > facts.death_date)
    ):
        found.append(
            hard(
                "vital_status",
                gettext_noop("The participant died on %(death)s, before this discharge alive."),
                death=facts.death_date.isoformat(),
            )
        )
    return found


HOSPITAL_SHOW_WHEN: ShowWhenMap = {
    "destination": ShowWhen(field="vital_status", equals="ALIVE"),
    "transfer_details": ShowWhen(field="transfer_counted", equals=True),
}


def hospital_check(
    values: Mapping[str, Any], facts: ParticipantFacts, instance: Any = None
) -> list[Finding]:
    found = require(values, ["admission_date", "transfer_counted"])
    discharge = values.get("discharge_date")
    still = values.get("still_in_hospital_at_d90")
    if not discharge and not still:
        found.append(
            Finding("discharge_date", gettext_noop("This item is required."), {}, Severity.MISSING)
        )
    if discharge and still:
        found.append(
            hard(
                "still_in_hospital_at_d90",
                gettext_noop("A discharge date contradicts “still in hospital at D90”."),
            )
        )
    found += conditional(values, bool(discharge), ["vital_status"])
    found += conditional(values, values.get("vital_status") == "ALIVE", ["destination"])
    admission = values.get("admission_date")
    if discharge:
        if admission and discharge < admission:
            found.append(
                hard(
                    "discharge_date",
                    gettext_noop("The hospital discharge cannot be before the hospital admission."),
                )
            )
        icu_ends = [paris_date(d) for _n, _a, d in facts.icu_stays if d is not None]
        if icu_ends and discharge < max(icu_ends):
            found.append(
                hard(
                    "discharge_date",
                    gettext_noop(
                        "The hospital discharge cannot be before the last ICU discharge (%(day)s)."
                    ),
                    day=max(icu_ends).isoformat(),
                )
            )
        if any(d is None for _n, _a, d in facts.icu_stays):
            found.append(
                hard(
                    "discharge_date",
                    gettext_noop("An ICU stay is still open: record the ICU discharge first."),
                )
            )
        if discharge > facts.today:
            found.append(hard("discharge_date", gettext_noop("The date cannot be in the future.")))
        if facts.death_date and discharge > facts.death_date:
            found.append(
                hard(
                    "discharge_date",
                    gettext_noop("The date cannot be after the death (%(death)s)."),
                    death=facts.death_date.isoformat(),
                )
            )
    if admission and icu_first(facts) and admission > icu_first(facts):
        found.append(
            hard(
                "admission_date",
                gettext_noop("The hospital admission cannot be after the ICU admission."),
            )
        )
    if values.get("vital_status") == "DEAD" and not facts.death_date:
        found.append(
            hard(
                "vital_status",
                gettext_noop(
                    "Record the death (ICU discharge or follow-up form) before a discharge as dead."
                ),
            )
        )
    if (
        values.get("vital_status") == "DEAD"
        and facts.death_date
        and discharge
        and (discharge != facts.death_date)
    ):
        found.append(
            soft(
                "discharge_date",
                gettext_noop(
                    "Discharged dead: the discharge date differs from the date of death "
                    "(%(death)s)."
                ),
                death=facts.death_date.isoformat(),
            )
        )
    return found


def icu_first(facts: ParticipantFacts) -> Any:
    return paris_date(facts.icu_stays[0][1]) if facts.icu_stays else None
