"""Day-10 biology (crf-spec.md §2.7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_noop

from crf import units
from crf.facts import ParticipantFacts
from crf.rules.common import Finding, check_range, conditional, hard, local, require, soft
from crf.rules.conditions import AllOf, ShowWhen, ShowWhenMap, each
from platinium.lib.study_time import paris_date

WINDOW = (9, 11)  # D9–D11 [INF], crf/schedule.py D10_BIOLOGY
TARGET_DAY = 10
# [INF] The lab's stability limit between sampling and analysis (sponsor to confirm).
STABILITY_HOURS = 24
RESULT_FIELDS = (
    "sampled_at",
    "mhla_dr_abc",
    "method",
    "laboratory",
    "hours_to_analysis",
    "lymphocytes_value",
    "lymphocytes_unit",
    "leucocytes_g_l",
    "monocytes_g_l",
)


# Skip logic (crf.rules.conditions).
SHOW_WHEN: ShowWhenMap = {
    **each(RESULT_FIELDS, ShowWhen(field="sample_taken", not_equals=False)),
    "not_done_reason": ShowWhen(field="sample_taken", not_equals=True),
    "not_done_other": AllOf(
        ShowWhen(field="sample_taken", not_equals=True),
        ShowWhen(field="not_done_reason", equals="OTHER"),
    ),
}


def derive(values: Mapping[str, Any], facts: ParticipantFacts) -> dict[str, Any]:
    at = values.get("sampled_at")
    return {
        "study_day": facts.study_day(paris_date(at)) if at and facts.d0 else None,
        "lymphocytes_g_l": units.count_to_g_l(
            values.get("lymphocytes_value"), values.get("lymphocytes_unit", "")
        ),
    }


def check(
    values: Mapping[str, Any],
    facts: ParticipantFacts,
    instance: Any = None,
    *,
    last_injection_at: Any = None,
) -> list[Finding]:
    found = require(values, ["sample_taken"])
    taken = values.get("sample_taken")
    found += conditional(values, taken is False, ["not_done_reason"])
    found += conditional(values, values.get("not_done_reason") == "OTHER", ["not_done_other"])
    found += conditional(
        values,
        taken is True,
        ["sampled_at", "mhla_dr_abc", "method", "laboratory", "lymphocytes_value"],
    )
    found += conditional(values, values.get("lymphocytes_value") is not None, ["lymphocytes_unit"])
    at = values.get("sampled_at")
    if at is not None and facts.d0 is not None:
        day = facts.study_day(paris_date(at))
        if not WINDOW[0] <= day <= WINDOW[1]:
            found.append(
                hard(
                    "sampled_at",
                    gettext_noop(
                        "The D10 sample must be taken D%(first)d–D%(last)d; this date is D%(day)d."
                    ),
                    first=WINDOW[0],
                    last=WINDOW[1],
                    day=day,
                )
            )
        elif day != TARGET_DAY:
            found.append(
                soft(
                    "sampled_at",
                    gettext_noop("D10 sample taken on D%(day)d instead of D10."),
                    day=day,
                )
            )
        if last_injection_at and at <= last_injection_at:
            found.append(
                hard(
                    "sampled_at",
                    gettext_noop("The D10 sample must be after the last injection (%(at)s)."),
                    at=local(last_injection_at),
                )
            )
        if at > facts.now:
            found.append(hard("sampled_at", gettext_noop("The sample cannot be in the future.")))
        if facts.death_date and paris_date(at) > facts.death_date:
            found.append(
                hard(
                    "sampled_at",
                    gettext_noop("The date cannot be after the death (%(death)s)."),
                    death=facts.death_date.isoformat(),
                )
            )
    found += check_range(
        "mhla_dr_abc",
        values.get("mhla_dr_abc"),
        hard_min=0,
        hard_max=100000,
        soft_below=500,
        soft_above=60000,
        unit="AB/C",
    )
    lymph = derive(values, facts)["lymphocytes_g_l"]
    found += [
        Finding("lymphocytes_value", f.msgid, f.params, f.severity)
        for f in check_range("lymphocytes_g_l", lymph, hard_min=0, hard_max=500, unit="G/L")
    ]
    for name in ("leucocytes_g_l", "monocytes_g_l"):
        found += check_range(name, values.get(name), hard_min=0, hard_max=500, unit="G/L")
    found += check_range(
        "hours_to_analysis",
        values.get("hours_to_analysis"),
        hard_min=0,
        soft_above=STABILITY_HOURS,
        unit="h",
    )
    return found
