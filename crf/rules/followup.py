"""Follow-up D30/D60/D90 (crf-spec.md §2.13), end of study (§2.16), deviations (§2.15)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_noop

from crf.facts import ParticipantFacts
from crf.models.followup import EQ5D_ITEMS, WITHDRAWAL_STATUSES
from crf.rules.common import Finding, check_range, conditional, dated, hard, require, soft
from crf.rules.conditions import AllOf, ShowWhen, ShowWhenMap, each
from crf.schedule import VISITS_BY_CODE, study_date

# [INF] A participant is "lost to follow-up" after at least 3 contact attempts.
MIN_CONTACT_ATTEMPTS = 3
EQ5D_FIELDS = (*EQ5D_ITEMS, "eq5d_vas", "eq5d_respondent")


def target_date(visit: str, facts: ParticipantFacts) -> Any:
    definition = VISITS_BY_CODE[visit]
    assert definition.target_day is not None
    return study_date(facts.d0, definition.target_day) if facts.d0 else None


# Skip logic (crf.rules.conditions). `visit` is the row's key (fixed by the page's URL,
# not typed): the page sends it to the browser with the declaration.
FU_SHOW_WHEN: ShowWhenMap = {
    **each(("death_date", "death_cause"), ShowWhen(field="vital_status", equals="DEAD")),
    "death_cause_other": AllOf(
        ShowWhen(field="vital_status", equals="DEAD"),
        ShowWhen(field="death_cause", equals="OTHER"),
    ),
    "last_known_alive_date": ShowWhen(field="vital_status", not_equals="DEAD"),
    "residence": ShowWhen(field="vital_status", equals="ALIVE"),
    # EQ-5D only at D90, for a participant alive.
    **each(
        EQ5D_FIELDS,
        AllOf(
            ShowWhen(field="visit", equals="FU_D90"), ShowWhen(field="vital_status", equals="ALIVE")
        ),
    ),
}


def fu_derive(values: Mapping[str, Any], facts: ParticipantFacts) -> dict[str, Any]:
    contact = values.get("contact_date")
    return {"study_day": facts.study_day(contact) if contact and facts.d0 else None}


def fu_check(
    values: Mapping[str, Any], facts: ParticipantFacts, instance: Any = None
) -> list[Finding]:
    found = require(
        values,
        ["contact_date", "source", "vital_status", "readmission", "new_infection", "new_sae"],
    )
    visit = values.get("visit") or ""
    vital = values.get("vital_status")
    found += conditional(values, vital in {"ALIVE", "UNKNOWN"}, ["last_known_alive_date"])
    found += conditional(values, vital == "DEAD", ["death_date", "death_cause"])
    found += conditional(values, values.get("death_cause") == "OTHER", ["death_cause_other"])
    found += conditional(values, vital == "ALIVE", ["residence"])
    found += conditional(
        values, visit == "FU_D90" and vital == "ALIVE", [*EQ5D_ITEMS, "eq5d_vas", "eq5d_respondent"]
    )
    if facts.d0 is None:
        return [hard("contact_date", gettext_noop("The participant is not randomised."))]
    contact = values.get("contact_date")
    target = target_date(visit, facts) if visit in VISITS_BY_CODE else None
    window = VISITS_BY_CODE[visit].window if visit in VISITS_BY_CODE else None
    if contact and window:
        first, last = (study_date(facts.d0, day) for day in window)
        if not first <= contact <= last:
            found.append(
                hard(
                    "contact_date",
                    gettext_noop(
                        "The contact must be within the window D%(first)d–D%(last)d (%(start)s to "
                        "%(end)s)."
                    ),
                    first=window[0],
                    last=window[1],
                    start=first.isoformat(),
                    end=last.isoformat(),
                )
            )
        if contact > facts.today:
            found.append(hard("contact_date", gettext_noop("The date cannot be in the future.")))
    alive_on = values.get("last_known_alive_date")
    if alive_on:
        if contact and alive_on > contact:
            found.append(
                hard(
                    "last_known_alive_date",
                    gettext_noop("The date last known alive cannot be after the contact date."),
                )
            )
        if vital == "ALIVE" and target and alive_on < target:
            # crf-spec.md §1: alive at Dx only if known alive on or after Dx.
            found.append(
                hard(
                    "vital_status",
                    gettext_noop(
                        "“Alive at D%(day)d” needs the date last known alive on or after "
                        "%(target)s; "
                        "otherwise the status is unknown."
                    ),
                    day=VISITS_BY_CODE[visit].target_day,
                    target=target.isoformat(),
                )
            )
        if facts.death_date and alive_on > facts.death_date:
            found.append(
                hard(
                    "last_known_alive_date",
                    gettext_noop("The participant died on %(death)s."),
                    death=facts.death_date.isoformat(),
                )
            )
    death = values.get("death_date")
    if death:
        found += dated("death_date", death, _without_death(facts))
        if contact and death > contact:
            found.append(
                hard("death_date", gettext_noop("The death cannot be after the contact date."))
            )
        if facts.death_date and death != facts.death_date:
            found.append(
                hard(
                    "death_date",
                    gettext_noop(
                        "A death is already recorded on %(death)s: correct that record instead."
                    ),
                    death=facts.death_date.isoformat(),
                )
            )
    if vital == "ALIVE" and facts.death_date and target and facts.death_date <= target:
        found.append(
            hard(
                "vital_status",
                gettext_noop(
                    "The participant died on %(death)s: the vital status cannot be alive."
                ),
                death=facts.death_date.isoformat(),
            )
        )
    for name in EQ5D_ITEMS:
        found += check_range(name, values.get(name), hard_min=1, hard_max=5)
    found += check_range("eq5d_vas", values.get("eq5d_vas"), hard_min=0, hard_max=100)
    if values.get("eq5d_respondent") == "PROXY":
        found.append(soft("eq5d_respondent", gettext_noop("EQ-5D-5L answered by a proxy.")))
    return found


def _without_death(facts: ParticipantFacts) -> ParticipantFacts:
    from dataclasses import replace

    return replace(facts, death_date=None, death_at=None)


EOS_SHOW_WHEN: ShowWhenMap = {
    **each(
        ("follow_up_allowed", "objects_to_data_use"),
        ShowWhen(field="end_status", in_=tuple(sorted(WITHDRAWAL_STATUSES))),
    ),
    "contact_attempt_dates": ShowWhen(field="end_status", equals="LOST_TO_FOLLOW_UP"),
    "end_status_other": ShowWhen(field="end_status", equals="OTHER"),
}


def eos_check(
    values: Mapping[str, Any], facts: ParticipantFacts, instance: Any = None
) -> list[Finding]:
    found = require(values, ["end_status", "end_date", "last_known_alive_date"])
    status = values.get("end_status")
    found += conditional(
        values, status in WITHDRAWAL_STATUSES, ["follow_up_allowed", "objects_to_data_use"]
    )
    found += conditional(values, status == "OTHER", ["end_status_other"])
    end = values.get("end_date")
    if end:
        found += dated("end_date", end, _without_death(facts))
    if status == "DEATH" and not facts.death_date:
        found.append(
            hard(
                "end_status", gettext_noop("End of study by death needs the death recorded first.")
            )
        )
    if status and status != "DEATH" and facts.death_date:
        found.append(
            hard(
                "end_status",
                gettext_noop(
                    "The participant died on %(death)s: the end-of-study status is death."
                ),
                death=facts.death_date.isoformat(),
            )
        )
    if status == "COMPLETED" and facts.d0 and end and facts.study_day(end) < 90:
        found.append(hard("end_date", gettext_noop("“Completed” needs D90 reached.")))
    attempts = values.get("contact_attempt_dates") or []
    if status == "LOST_TO_FOLLOW_UP" and len(attempts) < MIN_CONTACT_ATTEMPTS:
        found.append(
            hard(
                "contact_attempt_dates",
                gettext_noop("Lost to follow-up needs at least %(min)d contact attempts."),
                min=MIN_CONTACT_ATTEMPTS,
            )
        )
    alive_on = values.get("last_known_alive_date")
    if alive_on and facts.death_date and alive_on > facts.death_date:
        found.append(
            hard(
                "last_known_alive_date",
                gettext_noop("The participant died on %(death)s."),
                death=facts.death_date.isoformat(),
            )
        )
    if alive_on and alive_on > facts.today:
        found.append(
            hard("last_known_alive_date", gettext_noop("The date cannot be in the future."))
        )
    return found


def deviation_check(
    values: Mapping[str, Any], facts: ParticipantFacts, instance: Any = None
) -> list[Finding]:
    found = require(
        values, ["deviation_date", "category", "description", "severity", "detected_by"]
    )
    when = values.get("deviation_date")
    if when and when > facts.today:
        found.append(hard("deviation_date", gettext_noop("The date cannot be in the future.")))
    return found


def death_check(
    values: Mapping[str, Any], facts: ParticipantFacts, instance: Any = None
) -> list[Finding]:
    found = require(values, ["death_date"])
    found += dated("death_date", values.get("death_date"), _without_death(facts))
    at = values.get("death_at")
    if at and facts.randomized_at and at < facts.randomized_at:
        found.append(hard("death_at", gettext_noop("The death cannot be before randomisation.")))
    if at and at > facts.now:
        found.append(hard("death_at", gettext_noop("The date cannot be in the future.")))
    return found
