"""Seed scenario of `make bench`: the synthetic trial of `seed_demo --participants 326`
(demo.trial, every clinical write through the real services), timed.

Baseline, measured in the same run and database: 10 participants built by one process,
scaled to 326 (what one process would take). Then 326 more participants built with
`WORKERS` processes (sites shared out, one database connection each), the figure the goal
(< 60 s on the 2-core machine) is about. CPU seconds of this process and its children are
reported beside the wall time: on a shared machine the wall time depends on the load.
The crf scenario measures its pages on this trial.
"""

from __future__ import annotations

import io
import os
import random
import resource
import time
from typing import Any

TRIAL = 326
BASELINE = 10
WORKERS = 4
GOAL_SECONDS = 60


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _build(extra: int, *, workers: int, seed: int) -> dict[str, Any]:
    from accounts.demo import seed_accounts
    from demo.trial import build_trial
    from randomization.models import Allocation

    users = seed_accounts()
    target = Allocation.objects.count() + extra
    started, cpu = time.monotonic(), _cpu()
    out = io.StringIO()
    build_trial(target, users=users, rng=random.Random(seed), stdout=out, workers=workers)
    return {
        "participants": extra,
        "workers": workers,
        "seconds": round(time.monotonic() - started, 1),
        "client_cpu_seconds": round(_cpu() - cpu, 1),
        "output": out.getvalue().strip().splitlines()[-1:],
    }


def run(results: dict[str, Any]) -> None:
    baseline = _build(BASELINE, workers=1, seed=1)
    trial = _build(TRIAL, workers=WORKERS, seed=20250709)
    scaled = round(baseline["seconds"] * TRIAL / BASELINE, 1)
    results["demo"] = {
        "baseline_10_one_process": baseline,
        "baseline_scaled_to_326_seconds": scaled,
        "seed_326": trial,
        "speedup_vs_scaled_baseline": round(scaled / trial["seconds"], 2),
        "goal_seconds": GOAL_SECONDS,
        "meets_goal": trial["seconds"] < GOAL_SECONDS,
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
    }
