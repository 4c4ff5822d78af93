"""Export formats: every one writes the same rows (exports/datasets.py) and the same
dictionary (exports/dictionary.py). `write(format, datasets, out_dir)` is the one entry
point (the command, and later the web export page, call it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from exports.datasets import Dataset
from exports.formats import csv_zip, odm, stata, xlsx, xpt

Writer = Callable[[Sequence[Dataset], Path, str], list[Path]]

FORMATS: dict[str, Writer] = {
    "csv": csv_zip.write,
    "xlsx": xlsx.write,
    "xpt": xpt.write,
    "dta": stata.write,
    "odm": odm.write,
}


def write(
    format: str, datasets: Sequence[Dataset], out_dir: Path, *, language: str = "fr"
) -> list[Path]:
    """Write the datasets in `format` into `out_dir` (created if needed); the files written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return FORMATS[format](datasets, out_dir, language)
