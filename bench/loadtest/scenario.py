"""Run the trial day: gunicorn (2 workers) on a copy of the trial, locust headless over
loopback, then each page alone on the same gunicorn (pages.py, unless --no-pages), then
the lost-write check; per-page figures to bench/results.json["load"].

    python -m bench.loadtest.scenario --size 326 --duration 600   (make load)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg2

from bench.loadtest.check import CHECKS, lost_writes
from bench.loadtest.pages import PhaseError, Plan, measure_pages, pages_table
from bench.loadtest.population import (
    DATA_MANAGER,
    LOAD_PASSWORD,
    MONITOR,
    SITE_ROLES,
    site_username,
)
from tests.gunicorn import ROOT, gunicorn_serving

RESULTS = ROOT / "bench" / "results.json"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
BASELINE = "login page"
MAIN_PAGES = (
    "participant list (all sites)",
    "daily grid",
    "screening log",
    "participant page",
    "pharmacy home",
    "audit log",
)


def accounts(database_url: str, sites: list[str] | None) -> list[dict[str, str]]:
    """The load accounts of the active sites (or of `sites`), monitor and data manager."""
    connection = psycopg2.connect(database_url)
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT code FROM sites_site WHERE status = 'active' ORDER BY code")
        codes = [c for (c,) in cursor.fetchall() if sites is None or c in sites]
    connection.close()
    out = [
        {"username": site_username(code, role), "role": role, "site": code}
        for code in codes
        for role in SITE_ROLES
    ]
    out.append({"username": MONITOR, "role": "monitor", "site": ""})
    out.append({"username": DATA_MANAGER, "role": "data_manager", "site": ""})
    return out


def _locust(base: str, work: Path, users: int, duration: int, wait: str) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LOAD_ACCOUNTS": str(work / "accounts.json"),
        "LOAD_EVENTS": str(work / "events.jsonl"),
        "LOAD_PASSWORD": LOAD_PASSWORD,
        "LOAD_WAIT": wait,
    }
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    command += ["-u", str(users), "-r", "10", "-t", f"{duration}s", "--host", base]
    command += ["--csv", str(work / "locust"), "--only-summary", "--stop-timeout", "30"]
    command += ["--exit-code-on-error", "0", "--loglevel", "WARNING"]
    with (work / "locust.log").open("w") as log:
        subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)


def _pages(work: Path) -> dict[str, dict[str, Any]]:
    pages: dict[str, dict[str, Any]] = {}
    with (work / "locust_stats.csv").open() as stats:
        for row in csv.DictReader(stats):
            if row["Name"] == "Aggregated":
                continue
            name = row["Name"] if row["Type"] == "GET" else f"{row['Name']} (POST)"
            pages[name] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            }
    base = pages.get(BASELINE)
    for figures in pages.values():
        if base and base["p50_ms"] and base["p99_ms"]:
            figures["ratio_p50_to_login"] = round(figures["p50_ms"] / base["p50_ms"], 1)
            figures["ratio_p99_to_login"] = round(figures["p99_ms"] / base["p99_ms"], 1)
    return pages


def _failures(work: Path) -> list[str]:
    path = work / "locust_failures.csv"
    if not path.exists():
        return []
    with path.open() as failures:
        return [
            f"{r['Method']} {r['Name']}: {r['Error']} x{r['Occurrences']}"
            for r in csv.DictReader(failures)
        ]


def run_load(
    database_url: str,
    *,
    duration: int,
    work: Path,
    wait: str = "5,15",
    sites: list[str] | None = None,
    pages_alone: Plan | None = Plan(),  # noqa: B008 (frozen)
) -> dict[str, Any]:
    """One load run against `database_url` (a copy: it is written to): the trial day, then
    each page alone (`pages_alone`; None skips it) on the same gunicorn."""
    work.mkdir(parents=True, exist_ok=True)
    users = accounts(database_url, sites)
    (work / "accounts.json").write_text(json.dumps(users))
    (work / "events.jsonl").write_text("")
    load_before = os.getloadavg()
    started = time.monotonic()
    phase: dict[str, Any] | None = None
    with gunicorn_serving(database_url, work / "gunicorn.log") as (base, _process):
        _locust(base, work, len(users) + 1, duration, wait)
        seconds = time.monotonic() - started
        if pages_alone is not None:
            try:
                phase = measure_pages(base, database_url, plan=pages_alone)
            except PhaseError as error:
                phase = {"failed": True, "failures": [str(error)], "pages": {}}
    events = [json.loads(line) for line in (work / "events.jsonl").read_text().splitlines()]
    acks = [e for e in events if e["kind"] in CHECKS]
    problems = lost_writes(acks, database_url)
    pages = _pages(work)
    saves: dict[str, int] = {}
    for event in events:
        saves[event["kind"]] = saves.get(event["kind"], 0) + 1
    return {
        "users": len(users) + 1,
        "duration_s": duration,
        "think_time_s": wait,
        "wall_seconds": round(seconds, 1),
        **({"pages_alone": phase} if phase is not None else {}),
        "pages": pages,
        "main_pages_ratio_to_login": {
            name: {k: pages[name].get(f"ratio_{k}_to_login") for k in ("p50", "p99")}
            for name in MAIN_PAGES
            if name in pages
        },
        "errors": sum(p["errors"] for p in pages.values()),
        "failures": _failures(work),
        "saves": saves,
        "acknowledged_saves": len(acks),
        "lost_writes": len(problems),
        "lost_write_details": problems[:20],
        "load_average_before": [round(x, 1) for x in load_before],
        "load_average_after": [round(x, 1) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{'page':38} {'n':>6} {'err':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'x login p50':>11}"
    ]
    for name, p in sorted(result["pages"].items()):
        lines.append(
            f"{name:38} {p['requests']:>6} {p['errors']:>4} {p['p50_ms']:>7.0f} "
            f"{p['p95_ms']:>7.0f} {p['p99_ms']:>7.0f} {p.get('ratio_p50_to_login', 0):>11}"
        )
    lines.append(
        f"errors {result['errors']}, acknowledged saves {result['acknowledged_saves']} "
        f"{result['saves']}, lost writes {result['lost_writes']}, "
        f"load average {result['load_average_before']} -> {result['load_average_after']}"
    )
    phase = result.get("pages_alone")
    if phase and phase.get("pages"):
        lines.append(pages_table(phase))
    elif phase:
        lines += [f"pages alone FAILED: {f}" for f in phase["failures"]]
    return "\n".join(lines)


def measure(
    size: int,
    duration: int,
    *,
    wait: str = "5,15",
    workers: int = 2,
    pages_alone: Plan | None = Plan(),  # noqa: B008 (frozen)
) -> dict[str, Any]:
    """The trial of `size` participants (template built once), one run on a fresh copy."""
    from bench.loadtest.database import fresh_database

    database_url, built = fresh_database(size, workers=workers)
    with tempfile.TemporaryDirectory(prefix="platinium-load-") as folder:
        result = run_load(
            database_url, duration=duration, work=Path(folder), wait=wait, pages_alone=pages_alone
        )
    return {"participants": size, "template_build_seconds": round(built, 1), **result}


def save(size: int, result: dict[str, Any]) -> None:
    """bench/results.json["load"][size], other keys kept."""
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged.setdefault("load", {})[str(size)] = result
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    tmp.replace(RESULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=326)
    parser.add_argument("--duration", type=int, default=600)
    parser.add_argument("--wait", default="5,15", help="think time, min,max seconds")
    parser.add_argument("--workers", type=int, default=2, help="processes building the trial")
    parser.add_argument("--no-pages", action="store_true", help="skip the pages-alone phase")
    parser.add_argument("--pages-requests", type=int, default=Plan.requests)
    parser.add_argument("--pages-rounds", type=int, default=Plan.rounds)
    parser.add_argument("--pages-seconds", type=float, default=Plan.seconds)
    args = parser.parse_args()
    plan = Plan(requests=args.pages_requests, rounds=args.pages_rounds, seconds=args.pages_seconds)
    result = measure(
        args.size,
        args.duration,
        wait=args.wait,
        workers=args.workers,
        pages_alone=None if args.no_pages else plan,
    )
    save(args.size, result)
    print(table(result))
    if result["errors"] or result["lost_writes"] or result.get("pages_alone", {}).get("failed"):
        sys.exit(1)


if __name__ == "__main__":
    main()
