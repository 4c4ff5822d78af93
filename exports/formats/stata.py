"""Stata .dta via pyreadstat: one file per dataset, variable labels, value labels.

Stata value labels need integer values, so a coded text column is written as its number
from the dictionary (Choice.number) labelled with its text; booleans are 1/0 labelled.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pyreadstat

from exports import dictionary as d
from exports.datasets import Dataset
from exports.formats.cells import neutralise
from exports.formats.frames import frame
from exports.formats.stamps import stamp_dta

# Stata 15 (format 119): UTF-8, 80-character labels; names up to 32 characters, but
# pyreadstat names a value-label set "<variable><counter>" and Stata takes 32 at most
# there: 28 leaves room for a three-digit counter.
NAME_MAX = 28
LABEL_MAX = 80


def stata_names(columns: Sequence[d.Variable]) -> list[str]:
    """The dictionary name when it fits, else the SAS name (lower case)."""
    return [v.name if len(v.name) <= NAME_MAX else v.sas_name.lower() for v in columns]


def dictionary_csv(datasets: Sequence[Dataset], out_dir: Path) -> Path:
    path = out_dir / "dictionary.csv"
    blinded = all(dataset.blinded for dataset in datasets)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(d.DICTIONARY_COLUMNS)
        for row in d.dictionary_rows([ds.spec for ds in datasets], blinded=blinded):
            writer.writerow([neutralise(cell) for cell in row])
    return path


def write(datasets: Sequence[Dataset], out_dir: Path, language: str) -> list[Path]:
    paths = []
    for dataset in datasets:
        columns = dataset.columns
        names = stata_names(columns)
        df = frame(dataset, names=names, coded=True)
        value_labels = {
            name: {
                float(choice.number if var.type != d.BOOLEAN else choice.value): label
                for choice in var.choices
                for label in [var.choice_labels(language)[choice.value][:LABEL_MAX]]
            }
            for name, var in zip(names, columns, strict=True)
            if var.choices and var.type in (d.STRING, d.BOOLEAN)
        }
        path = out_dir / f"{dataset.spec.name}.dta"
        pyreadstat.write_dta(
            df,
            str(path),
            file_label=dataset.spec.label_in(language)[:LABEL_MAX],
            column_labels=[v.label_in(language)[:LABEL_MAX] for v in columns],
            version=15,
            variable_value_labels=value_labels,
        )
        stamp_dta(path)
        paths.append(path)
    paths.append(dictionary_csv(datasets, out_dir))
    return paths
