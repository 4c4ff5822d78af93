"""Excel: openpyxl in write-only mode (rows streamed), one sheet per dataset + dictionary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from exports.datasets import Dataset
from exports.dictionary import DICTIONARY_COLUMNS, dictionary_rows
from exports.formats.cells import neutralise, plain

WORKBOOK = "platinium.xlsx"
# Fixed document dates: the same data give the same bytes (blinding twin test).
DOCUMENT_DATE = datetime(2020, 1, 1)


def _cell(value: object) -> object:
    value = plain(value)
    # openpyxl writes a string starting with "=" as a formula: neutralised like CSV.
    return neutralise(value) if isinstance(value, str) else value


def write(datasets: Sequence[Dataset], out_dir: Path, language: str) -> list[Path]:
    workbook = Workbook(write_only=True)
    workbook.properties.created = workbook.properties.modified = DOCUMENT_DATE
    for dataset in datasets:
        sheet = workbook.create_sheet(dataset.spec.name[:31])
        sheet.append([v.name for v in dataset.columns])
        for row in dataset.rows():
            sheet.append([_cell(value) for value in row])
    blinded = all(dataset.blinded for dataset in datasets)
    sheet = workbook.create_sheet("dictionary")
    sheet.append(list(DICTIONARY_COLUMNS))
    for row in dictionary_rows([ds.spec for ds in datasets], blinded=blinded):
        sheet.append([neutralise(cell) for cell in row])
    path = out_dir / WORKBOOK
    workbook.save(path)
    return [path]
