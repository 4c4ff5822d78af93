"""Randomization latency and throughput (`make bench` calls run(results)).

Measures `randomization.services.allocation.randomize` end to end on PostgreSQL, at 1, 10 and 50
concurrent requests, all at ONE site (the worst case: the site's stratum row lock
serialises them). Each level uses its own site, its own participants and kits.
Eligibility preconditions are answered "eligible" (the engine is benchmarked by the
eligibility app); everything else (locks, kit choice, audit, outbox) runs for real.

If Django is not set up on a test database yet, run() creates one and drops it after.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
import uuid
from collections import Counter
from typing import Any

LEVELS = ((1, 40), (10, 100), (50, 200))  # (concurrent requests, total requests)
SITES = ("01", "02", "03")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _level(concurrency: int, total: int, site_code: str) -> dict[str, Any]:
    from django.db import connection

    from accounts.access import memberships_of
    from randomization.services import allocation
    from sites.models import Site
    from tests.factories import make_user_with_role
    from tests.randomization.factories import make_kits, make_participants, slot_arms

    site = Site.objects.get(code=site_code)
    make_kits(site, max(Counter(slot_arms(site, total)).values()) + 2)
    participants = make_participants(site, total)
    user = make_user_with_role(f"bench-inv-{site_code}", "investigator", site_code)
    memberships_of(user)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    per_thread = [participants[i::concurrency] for i in range(concurrency)]
    barrier = threading.Barrier(concurrency)

    def worker(batch: list[Any]) -> None:
        barrier.wait()
        try:
            for participant in batch:
                started = time.perf_counter()
                try:
                    allocation.randomize(participant, by=user, idempotency_key=uuid.uuid4().hex)
                except Exception as exc:
                    with lock:
                        errors.append(repr(exc))
                    continue
                with lock:
                    latencies.append(time.perf_counter() - started)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(batch,)) for batch in per_thread]
    wall = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall
    return {
        "concurrency": concurrency,
        "requests": total,
        "errors": len(errors),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1) if latencies else None,
        "allocations_per_second": round(len(latencies) / wall, 1) if wall else None,
        "wall_seconds": round(wall, 2),
    }


def _measure() -> dict[str, Any]:
    from randomization.services import allocation
    from sites.models import Site
    from tests.randomization.factories import load_slots

    original = allocation._eligibility_preconditions
    allocation._eligibility_preconditions = lambda participant: []
    try:
        load_slots(list(Site.objects.filter(code__in=SITES)), list_version="bench")
        levels = [_level(c, n, code) for (c, n), code in zip(LEVELS, SITES, strict=True)]
    finally:
        allocation._eligibility_preconditions = original
    return {"scope": "one site per level (stratum lock = worst case)", "levels": levels}


def run(results: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    own_db = not connection.settings_dict["NAME"].startswith(("test_", "bench_"))
    old = setup_databases(verbosity=0, interactive=False) if own_db else None
    try:
        results["randomization"] = _measure()
    finally:
        if own_db:
            connection.close()
            teardown_databases(old, verbosity=0)
    return results


if __name__ == "__main__":
    import json
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    print(json.dumps(run({}), indent=2))
