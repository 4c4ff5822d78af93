"""Skip logic as data (issue #11, ADR 0034): which items of a form apply, and when.

Each form declares `SHOW_WHEN = {field: condition}`; an item absent from it always applies.
The same declaration is applied twice by two small evaluators of the same language:
here (the save empties what does not apply, crf.services.core) and in the browser
(static/js/skip.js hides it, from the JSON of `as_json`). Never text to evaluate.

Values are those of the model (True/False/None for yes/no items, codes for choices);
equality is strict (False is not 0, None is not False), as in JavaScript's `===`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_UNSET: Any = object()
Scalar = str | bool | int | None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a is b
    return bool(a == b)


def _filled(value: Any) -> bool:
    """Present and not zero: what JavaScript's truthiness gives for the same value."""
    return not (value is None or value is False or value == "" or value == 0 or value in ([], ()))


@dataclass(frozen=True)
class ShowWhen:
    """The item applies when `field` (another item of the same form) satisfies exactly one
    test: `equals`, `not_equals`, `in_` (one of), or `filled` (True: given and not zero;
    False: empty or zero)."""

    field: str
    equals: Any = _UNSET
    not_equals: Any = _UNSET
    in_: tuple[Scalar, ...] | None = None
    filled: bool | None = None

    def __post_init__(self) -> None:
        given = [
            self.equals is not _UNSET,
            self.not_equals is not _UNSET,
            self.in_ is not None,
            self.filled is not None,
        ]
        if sum(given) != 1:
            raise ValueError(f"ShowWhen({self.field}): give exactly one test")

    def holds(self, values: Mapping[str, Any]) -> bool:
        value = values.get(self.field)
        if self.equals is not _UNSET:
            return _same(value, self.equals)
        if self.not_equals is not _UNSET:
            return not _same(value, self.not_equals)
        if self.in_ is not None:
            return any(_same(value, v) for v in self.in_)
        return _filled(value) is self.filled

    def fields(self) -> set[str]:
        return {self.field}

    def as_json(self) -> dict[str, Any]:
        if self.equals is not _UNSET:
            return {"field": self.field, "equals": self.equals}
        if self.not_equals is not _UNSET:
            return {"field": self.field, "not_equals": self.not_equals}
        if self.in_ is not None:
            return {"field": self.field, "in": list(self.in_)}
        return {"field": self.field, "filled": self.filled}


@dataclass(frozen=True, init=False)
class AllOf:
    """Every condition holds."""

    conditions: tuple[Condition, ...]

    def __init__(self, *conditions: Condition) -> None:
        object.__setattr__(self, "conditions", conditions)

    def holds(self, values: Mapping[str, Any]) -> bool:
        return all(c.holds(values) for c in self.conditions)

    def fields(self) -> set[str]:
        return set().union(*(c.fields() for c in self.conditions))

    def as_json(self) -> dict[str, Any]:
        return {"all": [c.as_json() for c in self.conditions]}


@dataclass(frozen=True, init=False)
class AnyOf:
    """At least one condition holds."""

    conditions: tuple[Condition, ...]

    def __init__(self, *conditions: Condition) -> None:
        object.__setattr__(self, "conditions", conditions)

    def holds(self, values: Mapping[str, Any]) -> bool:
        return any(c.holds(values) for c in self.conditions)

    def fields(self) -> set[str]:
        return set().union(*(c.fields() for c in self.conditions))

    def as_json(self) -> dict[str, Any]:
        return {"any": [c.as_json() for c in self.conditions]}


Condition = ShowWhen | AllOf | AnyOf
ShowWhenMap = Mapping[str, Condition]


def each(names: Iterable[str], condition: Condition) -> dict[str, Condition]:
    """The same condition for several items (`{**each(EQ5D_FIELDS, d90_alive), …}`)."""
    return dict.fromkeys(names, condition)


def skipped(show_when: ShowWhenMap, values: Mapping[str, Any]) -> set[str]:
    """The items that do not apply to these values: the save empties them."""
    return {name for name, condition in show_when.items() if not condition.holds(values)}


def as_json(show_when: ShowWhenMap) -> dict[str, Any]:
    return {name: condition.as_json() for name, condition in show_when.items()}


def referenced(show_when: ShowWhenMap) -> set[str]:
    """The items the conditions read."""
    return set().union(*(c.fields() for c in show_when.values())) if show_when else set()
