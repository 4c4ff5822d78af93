"""Excel: openpyxl in write-only mode (rows streamed), one sheet per dataset + dictionary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from django.utils import timezone
from openpyxl import Workbook

from exports.datasets import Dataset
from exports.dictionary import DICTIONARY_COLUMNS, dictionary_rows
from exports.formats.cells import neutralise, plain
from exports.formats.stamps import stamp_zip

WORKBOOK = "platinium.xlsx"


def _cell(value: object) -> object:
    value = plain(value)
    # openpyxl writes a string starting with "=" as a formula: neutralised like CSV.
    return neutralise(value) if isinstance(value, str) else value


def write(datasets: Sequence[Dataset], out_dir: Path, language: str) -> list[Path]:
    workbook = Workbook(write_only=True)
    # The same data exported at the same instant give the same bytes (ADR 0015).
    workbook.properties.created = workbook.properties.modified = timezone.now().replace(
        tzinfo=None, microsecond=0
    )
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
    stamp_zip(path)
    return [path]
