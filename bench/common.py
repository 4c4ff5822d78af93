"""Timing helpers shared by the benchmark scenarios (bench/run.py and optional modules)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def measure(action: Callable[[int], Any], *, iterations: int = 200, warmup: int = 20) -> dict:
    """Run `action(i)` `warmup` + `iterations` times; latency summary in milliseconds."""
    for index in range(warmup):
        action(-1 - index)
    samples = []
    for index in range(iterations):
        start = time.perf_counter()
        action(index)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "n": iterations,
        "median_ms": round(statistics.median(samples), 3),
        "p95_ms": round(statistics.quantiles(samples, n=100, method="inclusive")[94], 3),
        "min_ms": round(samples[0], 3),
        "max_ms": round(samples[-1], 3),
    }


def expect_status(response: Any, *statuses: int) -> Any:
    """A benchmark of error pages measures nothing: fail loudly instead."""
    if response.status_code not in statuses:
        raise RuntimeError(f"unexpected HTTP {response.status_code} for {response.request}")
    return response
