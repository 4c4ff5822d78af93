"""Study drug administration (crf-spec.md §1 injection rules, §2.5), via crf.injections."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext_noop

from crf.facts import ParticipantFacts
from crf.injections import Injection, InjectionContext, check_injection, kit_issue
from crf.rules.common import Finding, Severity, conditional, hard, require
from crf.rules.conditions import AllOf, ShowWhen, ShowWhenMap, each
from platinium.lib.study_time import paris_date

GIVEN_FIELDS = (
    "given_at",
    "kit_code",
    "volume_ml",
    "full_dose",
    "injection_site",
    "side",
    "local_reaction_previous",
    "administered_by",
    "full_dose_reason",
)


# Skip logic (crf.rules.conditions): no reason for non-administration when it was given.
SHOW_WHEN: ShowWhenMap = {
    **each(GIVEN_FIELDS, ShowWhen(field="given", not_equals=False)),
    "full_dose_reason": AllOf(
        ShowWhen(field="given", not_equals=False), ShowWhen(field="full_dose", equals=False)
    ),
    "reason_not_given": ShowWhen(field="given", not_equals=True),
    "reason_not_given_other": AllOf(
        ShowWhen(field="given", not_equals=True),
        ShowWhen(field="reason_not_given", equals="OTHER"),
    ),
}


def derive(values: Mapping[str, Any], facts: ParticipantFacts) -> dict[str, Any]:
    at = values.get("given_at")
    return {"study_day": facts.study_day(paris_date(at)) if at and facts.d0 else None}


def _injection(values: Mapping[str, Any], number: int | None) -> Injection:
    return Injection(
        number=number,
        given=bool(values.get("given")),
        given_at=values.get("given_at"),
        kit_code=values.get("kit_code") or None,
        volume_ml=values.get("volume_ml"),
        site=values.get("injection_site") or None,
    )


def check(
    values: Mapping[str, Any],
    facts: ParticipantFacts,
    instance: Any = None,
    *,
    others: Sequence[Any] = (),
) -> list[Finding]:
    """`others`: the participant's other current injection rows (model instances)."""
    found = require(values, ["given"])
    given = values.get("given")
    found += conditional(values, given is False, ["reason_not_given"])
    found += conditional(
        values, values.get("reason_not_given") == "OTHER", ["reason_not_given_other"]
    )
    found += conditional(
        values, given is True, ["volume_ml", "full_dose", "injection_site", "side"]
    )
    found += conditional(values, values.get("full_dose") is False, ["full_dose_reason"])
    if facts.randomized_at is None:
        return [hard("given", gettext_noop("The participant is not randomised."))]
    ctx = InjectionContext(
        randomized_at=facts.randomized_at,
        dispensed_kit_codes=facts.kit_codes,
        death_at=facts.death_at,
        icu_stays=tuple((admitted, discharged) for _n, admitted, discharged in facts.icu_stays),
        now=facts.now,
    )
    if given is not True:
        # Not (yet) answered "given": the form stays in progress, but a kit typed already
        # is checked now (an unchecked kit would be kept; "not given" blanks the kit).
        kit = kit_issue(values.get("kit_code") or None, ctx)
        if kit is not None:
            found.append(Finding("kit_code", kit.msgid, dict(kit.params), Severity.HARD))
        return found
    number = values.get("number")
    result = check_injection(
        _injection(values, number),
        [
            _injection(
                {
                    f: getattr(o, f)
                    for f in ("given", "given_at", "kit_code", "volume_ml", "injection_site")
                },
                o.number,
            )
            for o in others
        ],
        ctx,
    )
    field_map = {"site": "injection_site", "number": "given"}
    for issue in result.errors:
        name = field_map.get(issue.field, issue.field)
        if issue.msgid.startswith("Enter the"):
            found.append(Finding(name, "This item is required.", {}, Severity.MISSING))
        else:
            found.append(Finding(name, issue.msgid, dict(issue.params), Severity.HARD))
    for issue in result.warnings:
        found.append(
            Finding(
                field_map.get(issue.field, issue.field),
                issue.msgid,
                dict(issue.params),
                Severity.SOFT,
            )
        )
    at = values.get("given_at")
    if facts.death_at is None and facts.death_date and at and paris_date(at) > facts.death_date:
        # crf.injections checks a death time; a death known by its date only is checked here.
        found.append(
            hard(
                "given_at",
                gettext_noop("The injection cannot be after the death (%(death)s)."),
                death=facts.death_date.isoformat(),
            )
        )
    return found
