"""Python values of a row → the value a file cell holds (shared by every format)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from platinium.lib.study_time import STUDY_TIME_ZONE

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A leading apostrophe on text a spreadsheet would run as a formula; numbers stay."""
    if not text.startswith(FORMULA_STARTS):
        return text
    try:
        float(text)
    except ValueError:
        return "'" + text
    return text


def plain(value: Any) -> Any:
    """None, int, Decimal, date, naive Paris datetime or str (booleans as 1/0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(STUDY_TIME_ZONE).replace(tzinfo=None)
        return value
    if isinstance(value, time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    if isinstance(value, list | tuple):
        return "|".join(str(plain(item)) for item in value)
    if isinstance(value, int | Decimal | date | str):
        return value
    return str(value)


def text(value: Any) -> str:
    """The CSV form of a value: ISO dates, exact decimals, neutralised text."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)
