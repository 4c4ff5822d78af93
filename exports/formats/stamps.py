"""The creation time inside XPT and Stata files: the export's time, not the C library's.

ReadStat stamps files with the C clock, which nothing in Python can set; the headers get
Django's `timezone.now()` (Paris) instead, so the same data exported at the same instant
give the same bytes and SHA-256 (the blinding twin test relies on it, ADR 0015).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from platinium.lib.study_time import STUDY_TIME_ZONE

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# Header records of a transport file end where the first observation header starts.
_XPT_HEADER_END = b"HEADER RECORD*******OBSV8"
_XPT_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
_DTA_STAMP = re.compile(rb"(<timestamp>\x11)\d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d(</timestamp>)")


def _now() -> datetime:
    return timezone.now().astimezone(STUDY_TIME_ZONE)


def stamp_xpt(path: Path) -> None:
    now = _now()
    stamp = f"{now:%d}{MONTHS[now.month - 1]}{now:%y:%H:%M:%S}".encode("ascii")
    data = path.read_bytes()
    # One member per file: the library and member headers (each with "created" and
    # "modified") come before the one observation header.
    end = data.find(_XPT_HEADER_END)
    end = len(data) if end < 0 else end
    head = _XPT_STAMP.sub(lambda _m: stamp, data[:end])
    path.write_bytes(head + data[end:])


def stamp_dta(path: Path) -> None:
    now = _now()
    month = MONTHS[now.month - 1].title()
    stamp = f"{now:%d} {month} {now:%Y %H:%M}".encode("ascii")
    data = path.read_bytes()
    end = data.find(b"</header>")
    head = _DTA_STAMP.sub(lambda m: m.group(1) + stamp + m.group(2), data[:end], count=1)
    path.write_bytes(head + data[end:])


def stamp_zip(path: Path) -> None:
    """Rewrite a zip (xlsx) with every entry dated now: openpyxl's write-only sheets come
    from temporary files dated by the file system clock."""
    date_time = _now().timetuple()[:6]
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tmp, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with source.open(info) as reader, target.open(entry, "w") as writer:
                shutil.copyfileobj(reader, writer)
    tmp.replace(path)
