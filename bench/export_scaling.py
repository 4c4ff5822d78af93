"""Export scaling scenario of `make bench` (issue #10): the full blinded CSV and ODM exports
on the load runs' synthetic trials of 326 and 3,260 participants, to show the time growing
linearly with the data and the worker's memory staying flat.

Each size runs on a fresh copy of the load template (bench/loadtest/database.py: built once
per size, shared with `make load`), in its own process with DATABASE_URL set to the copy,
as the load runs' data manager; the export figures come from bench/exports.py (the Celery
task body in a forked child, its own peak RSS) with the same `COPY … TO STDOUT` baseline.

    python -m bench.export_scaling            (sizes from BENCH_EXPORT_SIZES, default 326,3260)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

SIZES = (326, 3260)
# "Linear": the seconds per participant at the largest size at most this many times those at
# the smallest. "Flat": the peak at the largest size at most this many MB above the smallest.
LINEAR_FACTOR = 1.5
FLAT_MB = 50


def sizes_wanted() -> list[int]:
    given = os.environ.get("BENCH_EXPORT_SIZES", "")
    return [int(s) for s in given.split(",") if s] or list(SIZES)


def measure_here() -> dict[str, Any]:
    """The exports on the database of DATABASE_URL (a load trial copy), as its data manager."""
    import django

    django.setup()
    from accounts.models import User
    from bench.exports import _copy_baseline, _export, exported_tables
    from bench.loadtest.population import DATA_MANAGER
    from randomization.models import Allocation

    user = User.objects.get(username=DATA_MANAGER)
    tables = exported_tables()
    baseline = _copy_baseline(tables)
    csv = _export("csv", user)
    odm = _export("odm", user)
    return {
        "participants": Allocation.objects.count(),
        "csv_blinded": csv,
        "odm_blinded": odm,
        "baseline_copy": baseline,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _per_participant(row: dict[str, Any], key: str) -> float:
    return float(row[key]["seconds"]) / max(1, int(row["participants"]))


def verdict(rows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Linear time and flat memory between the smallest and the largest size."""
    sizes = sorted(rows, key=int)
    small, large = rows[sizes[0]], rows[sizes[-1]]
    out: dict[str, Any] = {}
    for key in ("csv_blinded", "odm_blinded"):
        growth = _per_participant(large, key) / max(1e-9, _per_participant(small, key))
        extra_mb = large[key]["peak_mb"] - small[key]["peak_mb"]
        out[key] = {
            "seconds_per_participant_ratio": round(growth, 2),
            "peak_mb_growth": round(extra_mb, 1),
            "linear": growth <= LINEAR_FACTOR,
            "flat": extra_mb <= FLAT_MB,
        }
    return out


def run(results: dict[str, Any]) -> None:
    from bench.loadtest.database import fresh_database

    rows: dict[str, dict[str, Any]] = {}
    for size in sizes_wanted():
        url, built = fresh_database(size)
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
        done = subprocess.run(
            [sys.executable, "-m", "bench.export_scaling", "--here"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        rows[str(size)] = {**json.loads(done.stdout.splitlines()[-1]), "template_build_s": built}
        print(f"exports at {size}: {json.dumps(rows[str(size)])}", flush=True)
    scaling: dict[str, Any] = {
        "sizes": rows,
        "goal": f"seconds per participant at most {LINEAR_FACTOR}x from the smallest to the "
        f"largest size; peak memory at most {FLAT_MB} MB more",
    }
    if len(rows) > 1:
        scaling["verdict"] = verdict(rows)
    results["export_scaling"] = scaling


def main() -> None:
    if "--here" in sys.argv:
        print(json.dumps(measure_here()))
        return
    import django

    django.setup()
    from bench import run as bench_run

    results: dict[str, Any] = {}
    run(results)
    bench_run.write_results(results)
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
