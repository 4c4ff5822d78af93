"""`make bench`: request latency of the foundation, written to bench/results.json.

Runs against a throw-away database (`bench_<name>`, created and dropped here, never the
real or the pytest one) with DJANGO_SETTINGS_MODULE=tests.settings. Requests go through
django.test.Client, i.e. the complete WSGI handler and middleware stack in-process (no
network, no server threads: stable numbers that measure our code, not the loopback).

Scenarios: a trivial view (baseline, routed only by bench/urls.py), the logged-in home
page, and one audited write (an administrator disables/re-enables an account through its
view: service + AuditEvent + pghistory trigger in one transaction). Other apps add their
scenarios in bench/randomization.py / bench/demo.py (seed_demo's synthetic trial) /
bench/crf.py / bench/review.py with a `run(results)` function.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import platform
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
# WhiteNoise warns that collectstatic never ran: irrelevant to these measurements.
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

# Eager Celery tasks log one line each; the benchmark output is the timings.
logging.getLogger("celery").setLevel(logging.WARNING)

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import (  # noqa: E402
    setup_databases,
    setup_test_environment,
    teardown_databases,
    teardown_test_environment,
)
from django.urls import reverse  # noqa: E402

from bench.common import expect_status, measure  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
OPTIONAL_SCENARIOS = (
    "randomization",
    "demo",
    "crf",
    "flowsheet",
    "exports",
    "export_scaling",
    "review",
    "status",
    "load",
)


def foundation(results: dict[str, Any]) -> None:
    from tests.factories import DEMO_ROLE_USERS, make_user_with_role

    users = {
        key: make_user_with_role(key, role, site) for key, (role, site) in DEMO_ROLE_USERS.items()
    }
    investigator, admin = Client(), Client()
    investigator.force_login(users["investigator"])
    admin.force_login(users["admin"])

    trivial = measure(lambda _i: expect_status(investigator.get("/bench/trivial"), 200))
    home = measure(lambda _i: expect_status(investigator.get(reverse("home")), 200))
    target = users["coordinator"]
    url = reverse("accounts:user_set_active", kwargs={"user_id": target.pk})

    def audited_write(index: int) -> None:
        # Alternate disable / enable so every request really changes the row.
        data = {"active": "1" if index % 2 else "0", "reason": "benchmark"}
        expect_status(admin.post(url, data), 302)

    write = measure(audited_write)
    base = trivial["median_ms"]
    results["foundation"] = {
        "trivial_view": trivial,
        "home_logged_in": home,
        "audited_write": write,
        "ratio_to_trivial_median": {
            "home_logged_in": round(home["median_ms"] / base, 2),
            "audited_write": round(write["median_ms"] / base, 2),
        },
    }


def optional_scenarios(results: dict[str, Any]) -> None:
    """Every scenario, or those of BENCH_ONLY (`make bench ONLY=demo,crf`)."""
    only = [n for n in os.environ.get("BENCH_ONLY", "").split(",") if n]
    for name in only or OPTIONAL_SCENARIOS:
        path = ROOT / "bench" / f"{name}.py"
        if not path.exists():
            continue
        spec = importlib.util.spec_from_file_location(f"bench.{name}", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        module.run(results)
        print(f"bench: scenario {name} done")


def write_results(new: dict[str, Any]) -> dict[str, Any]:
    """Merge into the existing file so scenarios run separately keep their numbers."""
    merged = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    merged.update(new)
    tmp = RESULTS.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    tmp.replace(RESULTS)
    return merged


def _server_version() -> str:
    number = connection.cursor().connection.server_version  # e.g. 150020
    return f"{number // 10000}.{number % 10000}"


@contextlib.contextmanager
def bench_database() -> Iterator[None]:
    """The throw-away database `bench_<name>`, created here and dropped at the end."""
    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = f"bench_{database['NAME']}"
    setup_test_environment()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        yield
    finally:
        teardown_databases(old_config, verbosity=0)
        teardown_test_environment()


def main() -> None:
    results: dict[str, Any] = {}
    with bench_database():
        with override_settings(ROOT_URLCONF="bench.urls"):
            foundation(results)
            optional_scenarios(results)
        results["environment"] = {
            "python": platform.python_version(),
            "django": django.get_version(),
            "postgresql": _server_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "method": "django.test.Client in-process, full middleware stack, 20 warm-up + "
            "200 timed requests per scenario",
        }
    merged = write_results(results)
    print(json.dumps({k: merged[k] for k in results}, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
