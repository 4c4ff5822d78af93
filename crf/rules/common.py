"""Findings and the small helpers every form's rules share."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext, gettext_noop

from crf.facts import ParticipantFacts
from crf.rules import conditions
from crf.rules.conditions import ShowWhenMap
from platinium.lib.study_time import STUDY_TIME_ZONE


class Severity(StrEnum):
    HARD = "hard"  # impossible: refuse the save
    SOFT = "soft"  # implausible: save and flag for a query
    MISSING = "missing"  # required item absent: save as "in progress"


@dataclass(frozen=True)
class Finding:
    field: str
    msgid: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    severity: Severity = Severity.HARD

    @property
    def message(self) -> str:
        """Translated into the active language."""
        return gettext(self.msgid) % dict(self.params) if self.params else gettext(self.msgid)

    @property
    def english(self) -> str:
        return self.msgid % dict(self.params) if self.params else self.msgid


def _nothing_derived(values: Mapping[str, Any], facts: ParticipantFacts) -> dict[str, Any]:
    return {}


def _no_context(participant: Any, instance: Any, fixed: Mapping[str, Any]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class FormRules:
    """The rules of one form: `check` (findings), `show_when` (its skip logic, declared:
    crf.rules.conditions), `derive` (computed items) and `context` (the other rows its
    cross-row checks read, passed to `check` as keyword arguments)."""

    check: Callable[..., list[Finding]]
    show_when: ShowWhenMap  # {} when every item always applies
    derive: Callable[[Mapping[str, Any], ParticipantFacts], dict[str, Any]] = _nothing_derived
    context: Callable[[Any, Any, Mapping[str, Any]], dict[str, Any]] = _no_context

    def skipped(self, values: Mapping[str, Any]) -> set[str]:
        """Items that do not apply to these values (blanked by the save)."""
        return conditions.skipped(self.show_when, values)


def hard(name: str, msgid: str, **params: Any) -> Finding:
    return Finding(name, msgid, params, Severity.HARD)


def soft(name: str, msgid: str, **params: Any) -> Finding:
    return Finding(name, msgid, params, Severity.SOFT)


def missing(name: str) -> Finding:
    return Finding(name, gettext_noop("This item is required."), {}, Severity.MISSING)


def empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def require(values: Mapping[str, Any], names: Iterable[str]) -> list[Finding]:
    return [missing(name) for name in names if empty(values.get(name))]


def local(moment: datetime) -> str:
    return moment.astimezone(STUDY_TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def check_range(
    name: str,
    value: Any,
    *,
    hard_min: Any = None,
    hard_max: Any = None,
    soft_below: Any = None,
    soft_above: Any = None,
    unit: str = "",
) -> list[Finding]:
    """Hard range (refuse) then soft range (flag), on the standard-unit value."""
    if value is None:
        return []
    value = Decimal(value)
    too_low = hard_min is not None and value < Decimal(hard_min)
    too_high = hard_max is not None and value > Decimal(hard_max)
    if too_low or too_high:
        if hard_min is not None and hard_max is not None:
            msgid = gettext_noop(
                "%(value)s %(unit)s is impossible: the value must be between %(min)s and "
                "%(max)s %(unit)s."
            )
        elif too_low:
            msgid = gettext_noop("%(value)s %(unit)s is impossible: the minimum is %(min)s.")
        else:
            msgid = gettext_noop("%(value)s %(unit)s is impossible: the maximum is %(max)s.")
        return [
            hard(name, msgid, value=_fmt(value), unit=unit, min=_fmt(hard_min), max=_fmt(hard_max))
        ]
    if soft_below is not None and value < Decimal(soft_below):
        return [
            soft(
                name,
                gettext_noop("%(value)s %(unit)s is unusually low (below %(limit)s)."),
                value=_fmt(value),
                unit=unit,
                limit=_fmt(soft_below),
            )
        ]
    if soft_above is not None and value > Decimal(soft_above):
        return [
            soft(
                name,
                gettext_noop("%(value)s %(unit)s is unusually high (above %(limit)s)."),
                value=_fmt(value),
                unit=unit,
                limit=_fmt(soft_above),
            )
        ]
    return []


def check_limit(name: str, value: Any, limit: Any) -> list[Finding]:
    """A range from eligibility.limits.Limit (one table for screening and CRF)."""
    return check_range(
        name,
        value,
        hard_min=limit.hard_min,
        hard_max=limit.hard_max,
        soft_below=limit.soft_below,
        soft_above=limit.soft_above,
        unit=limit.unit,
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    text = format(Decimal(value).normalize(), "f")
    return text


def after_randomization(name: str, on: date | None, facts: Any) -> list[Finding]:
    """Post-randomisation data: on or after D0 (the date of T_R)."""
    if on is None or facts.d0 is None:
        return []
    if on < facts.d0:
        return [
            hard(
                name,
                gettext_noop("The date must be on or after randomisation (D0 = %(d0)s)."),
                d0=facts.d0.isoformat(),
            )
        ]
    return []


def not_after_death(name: str, on: date | None, facts: Any) -> list[Finding]:
    if on is None or facts.death_date is None:
        return []
    if on > facts.death_date:
        return [
            hard(
                name,
                gettext_noop("The date cannot be after the death (%(death)s)."),
                death=facts.death_date.isoformat(),
            )
        ]
    return []


def not_future(name: str, on: date | None, facts: Any) -> list[Finding]:
    if on is not None and on > facts.today:
        return [hard(name, gettext_noop("The date cannot be in the future."))]
    return []


def dated(name: str, on: date | None, facts: Any) -> list[Finding]:
    """The three date rules every post-randomisation date obeys."""
    return [
        *after_randomization(name, on, facts),
        *not_after_death(name, on, facts),
        *not_future(name, on, facts),
    ]


def conditional(values: Mapping[str, Any], condition: bool, names: Iterable[str]) -> list[Finding]:
    return require(values, names) if condition else []
