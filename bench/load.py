"""Load scenario of `make bench`: the trial day of bench/loadtest, short (DURATION seconds)
on the 326-participant trial, against gunicorn over loopback, then each page alone on the
same gunicorn (bench/loadtest/pages.py, under "pages_alone"). `make load` runs it longer
and on other sizes; the figures of each size are kept side by side under "load"."""

from __future__ import annotations

from typing import Any

SIZE = 326
DURATION = 120


def run(results: dict[str, Any]) -> None:
    import json

    from bench.loadtest.scenario import RESULTS, measure

    load = json.loads(RESULTS.read_text()).get("load", {}) if RESULTS.exists() else {}
    load[str(SIZE)] = measure(SIZE, DURATION)
    results["load"] = load
