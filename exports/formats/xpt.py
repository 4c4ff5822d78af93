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
    lines = ["proc format;"]
    seen: dict[str, str] = {}
    for dataset in datasets:
        for var in dataset.columns:
            if not var.choices or var.type not in (d.STRING, d.BOOLEAN):
                continue
            # A format name may not end in a digit: V<n>F, unique in the file.
            fmt = ("$" if var.type == d.STRING else "") + f"V{len(seen) + 1}F"
            labels = var.choice_labels(language)
            lines.append(f"  value {fmt}")
            for choice in var.choices:
                value = f"'{choice.value}'" if var.type == d.STRING else str(choice.value)
                label = labels[choice.value].replace("'", "''")
                lines.append(f"    {value} = '{label}'")
            lines.append("  ;")
            seen[f"{dataset.spec.sas_name}.{var.sas_name}"] = fmt
    lines.append("run;")
    for key, fmt in seen.items():
        table, var = key.split(".")
        lines.append(f"data {table}; set {table}; format {var} {fmt}.; run;")
    return "\n".join(lines) + "\n"


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
