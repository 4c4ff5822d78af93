"""SAS transport (XPT) via pyreadstat: one .xpt per dataset, 8-character names from the
dictionary, variable labels; XPT has no value labels, so dictionary.csv and formats.sas
(PROC FORMAT + FORMAT statements) travel with the files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyreadstat

from exports import dictionary as d
from exports.datasets import Dataset
from exports.formats.frames import frame
from exports.formats.stamps import stamp_xpt
from exports.formats.stata import dictionary_csv

# SAS labels are at most 40 characters in XPT version 5 and 256 in version 8.
LABEL_MAX = 256


def _formats_sas(datasets: Sequence[Dataset], language: str) -> str:
    """PROC FORMAT with one format per distinct list of allowed values, then one FORMAT
    statement per dataset (SAS reads the XPT files as datasets of the same names)."""
    values: list[str] = ["proc format;"]
    formats: dict[tuple, str] = {}
    statements: list[str] = []
    for dataset in datasets:
        assigned = []
        for var in dataset.columns:
            if not var.choices or var.type not in (d.STRING, d.BOOLEAN):
                continue
            labels = var.choice_labels(language)
            key = (var.type, tuple((c.value, labels[c.value]) for c in var.choices))
            if key not in formats:
                # A format name may not end in a digit: V<n>F, unique in the file.
                formats[key] = ("$" if var.type == d.STRING else "") + f"V{len(formats) + 1}F"
                values.append(f"  value {formats[key]}")
                for value, label in key[1]:
                    shown = f"'{value}'" if var.type == d.STRING else str(value)
                    values.append("    {} = '{}'".format(shown, label.replace("'", "''")))
                values.append("  ;")
            assigned.append(f"{var.sas_name} {formats[key]}.")
        if assigned:
            table = dataset.spec.sas_name
            statements.append(f"data {table}; set {table};")
            statements.append("  format " + " ".join(assigned) + ";")
            statements.append("run;")
    return "\n".join([*values, "run;", *statements]) + "\n"


def write(datasets: Sequence[Dataset], out_dir: Path, language: str) -> list[Path]:
    paths = []
    for dataset in datasets:
        names = [v.sas_name for v in dataset.columns]
        df = frame(dataset, names=names, coded=False)
        path = out_dir / f"{dataset.spec.sas_name.lower()}.xpt"
        pyreadstat.write_xport(
            df,
            str(path),
            file_label=dataset.spec.label_in(language)[:LABEL_MAX],
            column_labels=[v.label_in(language)[:LABEL_MAX] for v in dataset.columns],
            table_name=dataset.spec.sas_name,
            file_format_version=8,
        )
        stamp_xpt(path)
        paths.append(path)
    paths.append(dictionary_csv(datasets, out_dir))
    formats = out_dir / "formats.sas"
    formats.write_text(_formats_sas(datasets, language), encoding="utf-8")
    paths.append(formats)
    return paths
