"""Injection calendar rules (crf-spec.md §1 "Rules for the injection calendar", §2.5).

Pure functions: the CRF form's clean() turns errors into field errors (blocking) and
the monitoring layer turns warnings into automatic queries. Messages are English
msgids marked with gettext_noop and %-style named params; translate, then format:
``gettext(issue.msgid) % issue.params``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from crf.schedule import (
    FIRST_INJECTION_DAY,
    LAST_INJECTION_DAY,
    MAX_INJECTIONS,
    gettext_noop,
    injection_visit,
)
from platinium.lib.study_time import (
    STUDY_DAY_ORIGIN,
    STUDY_TIME_ZONE,
    StudyDayOrigin,
    d0_from_randomized_at,
    paris_date,
    study_day,
)

MIN_INTERVAL = timedelta(hours=24)  # hard: < 24 h between two injections [INF]
SHORT_INTERVAL = timedelta(hours=36)  # soft: 24 h to < 36 h (planned 48 h) [INF]
LONG_INTERVAL = timedelta(hours=72)  # soft: > 72 h (crf-spec.md §2.5) [INF]
PLANNED_VOLUME_ML = Decimal("0.50")  # one 0.5 mL vial or placebo [REG]
MAX_VOLUME_ML = Decimal("0.50")  # hard limit 0–0.5 mL (crf-spec.md §2.5)
SITE_OTHER = "OTHER"  # soft: the SmPC recommends deltoid or anterior thigh

# Field names of the study drug administration form, used in issues.
FIELD_NUMBER = "number"
FIELD_GIVEN = "given"
FIELD_GIVEN_AT = "given_at"
FIELD_KIT = "kit_code"
FIELD_VOLUME = "volume_ml"
FIELD_SITE = "site"


class Issue(NamedTuple):
    field: str
    msgid: str
    params: Mapping[str, object]


@dataclass(frozen=True)
class Injection:
    """One row of the study drug administration form."""

    number: int | None  # planned injection 1–5; None for a row of the unplanned log
    given: bool
    given_at: datetime | None = None  # aware, stored in UTC
    kit_code: str | None = None
    volume_ml: Decimal | None = None
    site: str | None = None


@dataclass(frozen=True)
class InjectionContext:
    """Participant facts the rules need."""

    randomized_at: datetime
    # Kits the pharmacy dispensed to the participant, replacements included; a kit only
    # allocated (still "to dispense") is not among them.
    dispensed_kit_codes: frozenset[str]
    death_at: datetime | None = None
    # (admitted, discharged or None); empty = not known, no ICU-discharge warning.
    icu_stays: Sequence[tuple[datetime, datetime | None]] = ()
    now: datetime | None = None
    origin: StudyDayOrigin = STUDY_DAY_ORIGIN


@dataclass
class InjectionCheck:
    errors: list[Issue] = field(default_factory=list)  # hard: block saving
    warnings: list[Issue] = field(default_factory=list)  # soft: save, raise a query

    @property
    def ok(self) -> bool:
        return not self.errors


def _local(moment: datetime) -> str:
    """Paris wall-clock time for messages (language-neutral ISO format)."""
    return moment.astimezone(STUDY_TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def _check_count(candidate: Injection, others: Sequence[Injection], check: InjectionCheck) -> None:
    if candidate.number is not None and not 1 <= candidate.number <= MAX_INJECTIONS:
        check.errors.append(
            Issue(
                FIELD_NUMBER,
                gettext_noop("The injection number must be between 1 and %(max)d."),
                {"max": MAX_INJECTIONS},
            )
        )
    given = sum(1 for other in others if other.given) + 1
    if given > MAX_INJECTIONS:
        check.errors.append(
            Issue(
                FIELD_GIVEN,
                gettext_noop("At most %(max)d injections can be given; this would be %(count)d."),
                {"max": MAX_INJECTIONS, "count": given},
            )
        )


def _check_required(candidate: Injection, check: InjectionCheck) -> None:
    if candidate.given_at is None:
        check.errors.append(
            Issue(
                FIELD_GIVEN_AT,
                gettext_noop("Enter the date and time of the injection."),
                {},
            )
        )
    if not candidate.kit_code:
        check.errors.append(Issue(FIELD_KIT, gettext_noop("Enter the kit number."), {}))


def _check_moment(at: datetime, ctx: InjectionContext, check: InjectionCheck) -> None:
    """Hard limits on the date and time, then the soft planned-day and window checks."""
    if at <= ctx.randomized_at:
        check.errors.append(
            Issue(
                FIELD_GIVEN_AT,
                gettext_noop("The injection must be after randomisation (%(randomized_at)s)."),
                {"randomized_at": _local(ctx.randomized_at)},
            )
        )
    if ctx.death_at is not None and at > ctx.death_at:
        check.errors.append(
            Issue(
                FIELD_GIVEN_AT,
                gettext_noop("The injection cannot be after the death (%(death_at)s)."),
                {"death_at": _local(ctx.death_at)},
            )
        )
    if ctx.now is not None and at > ctx.now:
        check.errors.append(
            Issue(FIELD_GIVEN_AT, gettext_noop("The injection cannot be in the future."), {})
        )


def _check_days(
    candidate: Injection, at: datetime, ctx: InjectionContext, check: InjectionCheck
) -> None:
    day = study_day(d0_from_randomized_at(ctx.randomized_at, ctx.origin), paris_date(at))
    if not FIRST_INJECTION_DAY <= day <= LAST_INJECTION_DAY:
        # [REG] an injection on D0 or from D10 is impossible by design: it is recorded
        # as a protocol deviation, not as a regular dose.
        check.errors.append(
            Issue(
                FIELD_GIVEN_AT,
                gettext_noop(
                    "Injections are given from D%(first)d to D%(last)d; this date is D%(day)d."
                ),
                {"first": FIRST_INJECTION_DAY, "last": LAST_INJECTION_DAY, "day": day},
            )
        )
        return
    if candidate.number is None or not 1 <= candidate.number <= MAX_INJECTIONS:
        return
    visit = injection_visit(candidate.number)
    assert visit.window is not None and visit.target_day is not None
    first, last = visit.window
    # One warning, the more informative one: outside the window implies off the planned day.
    if not first <= day <= last:
        check.warnings.append(
            Issue(
                FIELD_GIVEN_AT,
                gettext_noop(
                    "Injection %(number)d is outside its window D%(first)d–D%(last)d; "
                    "this date is D%(day)d."
                ),
                {"number": candidate.number, "first": first, "last": last, "day": day},
            )
        )
    elif day != visit.target_day:
        check.warnings.append(
            Issue(
                FIELD_GIVEN_AT,
                gettext_noop(
                    "Injection %(number)d was planned on D%(planned)d; this date is D%(day)d."
                ),
                {"number": candidate.number, "planned": visit.target_day, "day": day},
            )
        )


def _check_intervals(
    candidate: Injection, at: datetime, others: Sequence[Injection], check: InjectionCheck
) -> None:
    given: list[tuple[datetime, Injection]] = sorted(
        ((other.given_at, other) for other in others if other.given and other.given_at),
        key=lambda pair: pair[0],
    )
    for other_at, other in given:
        params: dict[str, object] = {"other_at": _local(other_at)}
        if paris_date(other_at) == paris_date(at):
            # Checked on its own: a 25-hour DST day could hold two injections ≥ 24 h apart.
            check.errors.append(
                Issue(
                    FIELD_GIVEN_AT,
                    gettext_noop("Another injection was given on the same day (%(other_at)s)."),
                    params,
                )
            )
        elif abs(at - other_at) < MIN_INTERVAL:
            check.errors.append(
                Issue(
                    FIELD_GIVEN_AT,
                    gettext_noop(
                        "Only %(hours).1f h from the injection of %(other_at)s; "
                        "at least %(min_hours)d h are required."
                    ),
                    {**params, "hours": _hours(abs(at - other_at)), "min_hours": 24},
                )
            )
        if (
            candidate.number is not None
            and other.number is not None
            and other.number < candidate.number
            and other_at >= at
        ):
            check.errors.append(
                Issue(
                    FIELD_GIVEN_AT,
                    gettext_noop(
                        "Injection %(number)d must be after injection %(previous)d (%(other_at)s)."
                    ),
                    {**params, "number": candidate.number, "previous": other.number},
                )
            )

    previous = [other_at for other_at, _ in given if other_at < at]
    if not previous:
        return
    previous_at = previous[-1]
    interval = at - previous_at
    params = {"hours": _hours(interval), "other_at": _local(previous_at)}
    if MIN_INTERVAL <= interval < SHORT_INTERVAL:
        check.warnings.append(
            Issue(
                FIELD_GIVEN_AT,
                gettext_noop(
                    "%(hours).1f h since the previous injection (%(other_at)s): "
                    "less than %(limit)d h."
                ),
                {**params, "limit": 36},
            )
        )
    elif interval > LONG_INTERVAL:
        check.warnings.append(
            Issue(
                FIELD_GIVEN_AT,
                gettext_noop(
                    "%(hours).1f h since the previous injection (%(other_at)s): "
                    "more than %(limit)d h."
                ),
                {**params, "limit": 72},
            )
        )


def kit_issue(kit_code: str | None, ctx: InjectionContext) -> Issue | None:
    """A typed kit must be one dispensed to this participant, whatever the form's status.

    Blinding and accountability: a kit still "to dispense", another participant's kit or
    another site's kit would break the pharmacy's count (crf-spec.md §1 rule 5).
    """
    if not kit_code or kit_code in ctx.dispensed_kit_codes:
        return None
    return Issue(
        FIELD_KIT,
        gettext_noop(
            "Kit %(kit)s was not dispensed to this participant: only a kit the pharmacy "
            "dispensed to them can be recorded."
        ),
        {"kit": kit_code},
    )


def _check_context(
    candidate: Injection, at: datetime, ctx: InjectionContext, check: InjectionCheck
) -> None:
    if ctx.icu_stays and not any(
        admitted <= at and (discharged is None or at <= discharged)
        for admitted, discharged in ctx.icu_stays
    ):
        # Open protocol question (crf-spec.md §1 rule 4): soft edit + question to the sponsor.
        check.warnings.append(
            Issue(FIELD_GIVEN_AT, gettext_noop("The injection was given after ICU discharge."), {})
        )
    volume = candidate.volume_ml
    if volume is not None:
        if not Decimal(0) <= volume <= MAX_VOLUME_ML:
            check.errors.append(
                Issue(
                    FIELD_VOLUME,
                    gettext_noop("The volume must be between 0 and %(max)s mL."),
                    {"max": str(MAX_VOLUME_ML)},
                )
            )
        elif volume != PLANNED_VOLUME_ML:
            check.warnings.append(
                Issue(
                    FIELD_VOLUME,
                    gettext_noop("%(volume)s mL given instead of %(planned)s mL."),
                    {"volume": str(volume), "planned": str(PLANNED_VOLUME_ML)},
                )
            )
    if candidate.site == SITE_OTHER:
        check.warnings.append(
            Issue(
                FIELD_SITE,
                gettext_noop(
                    "Injection site OTHER: the recommended sites are the deltoid "
                    "and the anterior thigh."
                ),
                {},
            )
        )


def check_injection(
    candidate: Injection, others: Sequence[Injection], ctx: InjectionContext
) -> InjectionCheck:
    """Hard errors and soft warnings for ``candidate`` against the participant's other rows.

    ``others`` are the stored rows except the one being edited. A row not given has
    nothing to check here (its reason is the form's concern).
    """
    check = InjectionCheck()
    if not candidate.given:
        return check
    for moment in (candidate.given_at, ctx.randomized_at, ctx.death_at, ctx.now):
        if moment is not None and moment.utcoffset() is None:
            raise ValueError("injection rules need aware datetimes")
    _check_count(candidate, others, check)
    _check_required(candidate, check)
    kit = kit_issue(candidate.kit_code, ctx)
    if kit is not None:
        check.errors.append(kit)
    at = candidate.given_at
    if at is not None:
        _check_moment(at, ctx, check)
        _check_days(candidate, at, ctx, check)
        _check_intervals(candidate, at, others, check)
        _check_context(candidate, at, ctx, check)
    return check


def check_calendar(
    injections: Sequence[Injection], ctx: InjectionContext
) -> list[tuple[Injection, InjectionCheck]]:
    """Every row checked against all the others (for edit checks over stored data)."""
    return [
        (row, check_injection(row, [*injections[:i], *injections[i + 1 :]], ctx))
        for i, row in enumerate(injections)
    ]


def injections_given(injections: Sequence[Injection]) -> int:
    """Number of injections received (crf-spec.md §2.5, derived 0–5)."""
    return sum(1 for injection in injections if injection.given)
