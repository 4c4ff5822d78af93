"""CSV: one UTF-8 file per dataset plus dictionary.csv, in one zip archive."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from django.utils import timezone

from exports.datasets import Dataset
from exports.dictionary import DICTIONARY_COLUMNS, dictionary_rows
from exports.formats.cells import neutralise, text
from platinium.lib.study_time import STUDY_TIME_ZONE

ARCHIVE = "platinium_csv.zip"


def _entry(archive: zipfile.ZipFile, name: str) -> io.TextIOWrapper:
    # Dated by the export's clock: the same data exported at the same instant give the
    # same bytes (ADR 0015; the blinding twin test relies on it).
    date_time = timezone.now().astimezone(STUDY_TIME_ZONE).timetuple()[:6]
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    return io.TextIOWrapper(archive.open(info, "w"), encoding="utf-8", newline="")


def write(datasets: Sequence[Dataset], out_dir: Path, language: str) -> list[Path]:
    path = out_dir / ARCHIVE
    with zipfile.ZipFile(path, "w") as archive:
        for dataset in datasets:
            with _entry(archive, f"{dataset.spec.name}.csv") as stream:
                writer = csv.writer(stream)
                writer.writerow([v.name for v in dataset.columns])
                for row in dataset.rows():
                    writer.writerow([text(value) for value in row])
        blinded = all(dataset.blinded for dataset in datasets)
        with _entry(archive, "dictionary.csv") as stream:
            writer = csv.writer(stream)
            writer.writerow(DICTIONARY_COLUMNS)
            for row in dictionary_rows([ds.spec for ds in datasets], blinded=blinded):
                writer.writerow([neutralise(cell) for cell in row])
    return [path]
