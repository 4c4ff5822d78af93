"""A dataset as a pandas DataFrame for pyreadstat (SAS XPT, Stata).

pyreadstat writes from a whole DataFrame, so these two formats hold ONE dataset in memory
at a time (ADR 0015); CSV and Excel stream row by row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from exports import dictionary as d
from exports.datasets import Dataset
from exports.formats.cells import plain

NUMERIC = {d.INTEGER, d.DECIMAL, d.BOOLEAN}


def _value(value: Any, variable: d.Variable, coded: bool) -> Any:
    value = plain(value)
    if value is None:
        return None
    if coded and variable.type == d.STRING and variable.choices:
        return {c.value: c.number for c in variable.choices}.get(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def frame(dataset: Dataset, *, names: list[str], coded: bool) -> pd.DataFrame:
    """Columns named `names`; `coded`: choice columns as their numeric codes (Stata)."""
    columns = dataset.columns
    rows = [
        [_value(v, var, coded) for v, var in zip(row, columns, strict=True)]
        for row in dataset.rows()
    ]
    df = pd.DataFrame(rows, columns=names, dtype=object)
    for name, var in zip(names, columns, strict=True):
        numeric = var.type in NUMERIC or (coded and var.type == d.STRING and var.choices)
        if numeric:
            df[name] = pd.to_numeric(df[name], errors="raise").astype("float64")
        elif var.type in (d.DATETIME, d.DATE):
            # Objects (date, naive datetime, None): pyreadstat writes Stata %td / %tc and
            # SAS DATE / DATETIME from them.
            continue
        else:
            df[name] = df[name].map(lambda x: "" if x is None else str(x)).astype(object)
    return df
