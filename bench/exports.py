"""Export scenario of `make bench` (issue #10): the full blinded CSV and ODM exports and one
casebook PDF, on a synthetic trial, each against a baseline measured in the same run.

Trial: demo.trial.build_trial tops the bench database up to N randomized participants
(N = BENCH_EXPORT_PARTICIPANTS, 326 by default; the demo/crf scenarios' trial is reused
when it is there, which is why N is a target, not an increment).

Exports: an ExportJob as `request_export` creates it, then the Celery task body
(`run_export_task.apply`, the task's code with its eager request) in a forked child
process, as a prefork Celery worker runs it: the datasets are read from one snapshot,
written, zipped, stored and audited. Peak memory is the child's own
getrusage(RUSAGE_SELF).ru_maxrss, read by the child at its end: the whole process,
C libraries and buffers included (tracemalloc sees Python objects only, and slows the
run). RUSAGE_CHILDREN would mix in the trial builder's worker processes. A forked child
starts with the parent's resident pages, so its RSS at start is reported beside the peak.

Baseline: PostgreSQL `COPY (SELECT * FROM <table>) TO STDOUT (FORMAT csv, HEADER)` of
every table the export reads (CRF forms and child forms, their history event tables,
screening, participants, sites, allocations, queries and their messages), written to a
file, in the same run and database.

Casebook: the participant with the most CRF rows, `download_casebook_pdf` as the data
manager; the time is split into gathering the context, the template and WeasyPrint.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

GOAL_EXPORT_SECONDS = 30
GOAL_EXPORT_MB = 300
GOAL_CASEBOOK_SECONDS = 5
DEFAULT_PARTICIPANTS = 326


def participants_wanted() -> int:
    return int(os.environ.get("BENCH_EXPORT_PARTICIPANTS") or DEFAULT_PARTICIPANTS)


def _trial(n: int) -> dict[str, Any]:
    from accounts.demo import seed_accounts
    from demo.trial import build_trial
    from randomization.models import Allocation

    before = Allocation.objects.count()
    started = time.monotonic()
    if before < n:
        build_trial(
            n, users=seed_accounts(), rng=random.Random(20250709), stdout=io.StringIO(), workers=4
        )
    return {
        "participants": Allocation.objects.count(),
        "built_here": max(0, n - before),
        "build_seconds": round(time.monotonic() - started, 1),
    }


def _rss_mb() -> float:
    """The current resident set of this process (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _child(job_id: int, pipe: Any) -> None:
    from django.db import connection

    from exports.tasks import run_export_task

    start_mb = _rss_mb()
    started, cpu_started = time.monotonic(), time.process_time()
    status = run_export_task.apply((job_id,)).get()
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    connection.close()
    pipe.send(
        {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "peak_mb": peak_mb,
            "start_mb": start_mb,
            "status": status,
        }
    )
    pipe.close()


def _export(format: str, user: Any) -> dict[str, Any]:
    """One export job run by the Celery task body in a forked child; its figures."""
    from django.db import connections

    from exports.models import ExportJob

    job = ExportJob.objects.create(requested_by=user, format=format, blinded=True, language="fr")
    connections.close_all()  # the child opens its own connection, never shares ours
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(job.pk, send))
    process.start()
    send.close()
    figures = receive.recv()
    process.join()
    if process.exitcode != 0 or figures["status"] != ExportJob.Status.DONE:
        raise RuntimeError(f"{format} export failed: {figures}, exit {process.exitcode}")
    job.refresh_from_db()
    return {
        "seconds": round(figures["seconds"], 2),
        "cpu_seconds": round(figures["cpu_seconds"], 2),
        "peak_mb": round(figures["peak_mb"], 1),
        "rss_at_start_mb": round(figures["start_mb"], 1),
        "archive_mb": round(job.size / 1e6, 2),
    }


def exported_tables() -> list[str]:
    """The tables the blinded export reads (exports/datasets.py)."""
    from audit.history import event_model_of
    from crf.models import DataQuery, QueryMessage
    from eligibility.models import Screening
    from exports import dictionary as d
    from participants.models import Participant
    from randomization.models import Allocation
    from sites.models import Site

    forms = [model for model, _title in d.crf_forms().values()]
    forms += [model for model, _parent in d.CHILD_FORMS.values()]
    models = [*forms, *(event_model_of(m) for m in forms)]
    models += [Screening, Participant, Site, Allocation, DataQuery, QueryMessage]
    return sorted({m._meta.db_table for m in models})


def _copy_baseline(tables: list[str]) -> dict[str, Any]:
    from django.db import connection

    started = time.monotonic()
    size = 0
    with tempfile.TemporaryDirectory() as folder, connection.cursor() as cursor:
        for table in tables:
            path = Path(folder) / f"{table}.csv"
            with path.open("w") as out:
                quoted = connection.ops.quote_name(table)
                cursor.copy_expert(
                    f"COPY (SELECT * FROM {quoted}) TO STDOUT (FORMAT csv, HEADER)", out
                )
            size += path.stat().st_size
    return {
        "seconds": round(time.monotonic() - started, 3),
        "tables": len(tables),
        "csv_mb": round(size / 1e6, 2),
    }


def fullest_participant() -> tuple[Any, int]:
    """The participant with the most CRF rows (every form of the casebook)."""
    from django.db.models import Count

    from crf.definitions import FORMS
    from participants.models import Participant

    counts: dict[int, int] = {}
    for definition in FORMS:
        rows = definition.model.objects.values("participant").annotate(n=Count("pk"))
        for row in rows:
            counts[row["participant"]] = counts.get(row["participant"], 0) + row["n"]
    pk = max(counts, key=lambda key: (counts[key], -key))
    return Participant.objects.get(pk=pk), counts[pk]


def _casebook(user: Any) -> dict[str, Any]:
    import logging

    from django.template.loader import render_to_string

    from exports.casebook import casebook_context, download_casebook_pdf
    from platinium.lib.pdf import html_to_pdf

    # WeasyPrint logs one INFO line per laid-out page: the bench output is the figures.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    participant, rows = fullest_participant()
    download_casebook_pdf(participant, by=user)  # warm-up: fonts, templates, imports
    started, cpu_started = time.monotonic(), time.process_time()
    pdf = download_casebook_pdf(participant, by=user)
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
    # Where the time goes: the same three steps, timed one by one.
    t0 = time.monotonic()
    context = casebook_context(participant, user=user)
    t1 = time.monotonic()
    html = render_to_string("pdf/casebook.html", context)
    t2 = time.monotonic()
    html_to_pdf(html)
    t3 = time.monotonic()
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "participant_crf_rows": rows,
        "pdf_kb": round(len(pdf.content) / 1024, 1),
        "split_seconds": {
            "context": round(t1 - t0, 3),
            "template": round(t2 - t1, 3),
            "weasyprint": round(t3 - t2, 3),
        },
    }


def run(results: dict[str, Any]) -> None:
    from tests.factories import make_user_with_role

    trial = _trial(participants_wanted())
    load_before = [round(x, 2) for x in os.getloadavg()]
    user = make_user_with_role("bench-exports-data-manager", "data_manager", None)
    tables = exported_tables()
    baseline = _copy_baseline(tables)
    csv = _export("csv", user)
    odm = _export("odm", user)
    baseline_again = _copy_baseline(tables)  # the load may change during the exports
    base = min(baseline["seconds"], baseline_again["seconds"])
    casebook = _casebook(user)
    results["exports"] = {
        "participants": trial["participants"],
        "trial": trial,
        "csv_blinded": {**csv, "ratio_to_copy": round(csv["seconds"] / base, 1)},
        "odm_blinded": {**odm, "ratio_to_copy": round(odm["seconds"] / base, 1)},
        "baseline_copy": {**baseline, "seconds_after_exports": baseline_again["seconds"]},
        "casebook_pdf": casebook,
        "goals": {
            "export_seconds": GOAL_EXPORT_SECONDS,
            "export_peak_mb": GOAL_EXPORT_MB,
            "casebook_seconds": GOAL_CASEBOOK_SECONDS,
        },
        "meets_goal": {
            "csv_seconds": csv["seconds"] < GOAL_EXPORT_SECONDS,
            "csv_peak_mb": csv["peak_mb"] < GOAL_EXPORT_MB,
            "odm_seconds": odm["seconds"] < GOAL_EXPORT_SECONDS,
            "odm_peak_mb": odm["peak_mb"] < GOAL_EXPORT_MB,
            "casebook_seconds": casebook["seconds"] < GOAL_CASEBOOK_SECONDS,
        },
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "load_average_before": load_before,
        "method": (
            "Exports: the Celery task body (run_export_task.apply) in a forked child process, "
            "as a prefork worker runs it; seconds = wall time of the task in the child, "
            "cpu_seconds = its CPU time (time.process_time: this process only, not "
            "PostgreSQL; the fairer figure on a shared machine); "
            "peak_mb = the child's getrusage(RUSAGE_SELF).ru_maxrss (whole process, C "
            "libraries included, which tracemalloc would miss; the child starts with the "
            "parent's pages, see rss_at_start_mb). Baseline: COPY (SELECT * FROM t) TO "
            "STDOUT (FORMAT csv, HEADER) of every table the export reads, to files, before "
            "and after the exports; the ratio uses the faster of the two. Casebook: "
            "download_casebook_pdf of the participant with the most CRF rows, after one "
            "warm-up. load_average(_before): os.getloadavg() at the end (and once the trial is "
            "built, before the exports): the machine is shared."
        ),
    }


def main() -> None:
    """Run this scenario alone: `python bench/exports.py` (same database as bench/run.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench import run as bench_run  # sets Django up

    results: dict[str, Any] = {}
    with bench_run.bench_database():
        run(results)
    bench_run.write_results(results)
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
