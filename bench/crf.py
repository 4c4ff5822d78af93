"""CRF scenarios of `make bench` (called by bench/run.py with the foundation's database).

Uses the 326-participant synthetic trial built (and timed) by bench/demo.py (demo.trial,
the seed_demo code path; built here if that scenario did not run), then
measures, as the site-11 investigator: the participant list (all of the user's
participants), the participant page and the daily grid of the participant with the
longest ICU course at site 11, and saving one daily grid row (service, rules, audit,
pghistory). Reported in ms and as a ratio to the trivial view measured in this run.
"""

from __future__ import annotations

import io
import random
import time
from typing import Any

from django.db.models import Count
from django.test import Client
from django.urls import reverse

from bench.common import expect_status, measure

GOAL_P95_MS = 100


def trial(results: dict[str, Any], size: int = 326) -> float:
    """Build the synthetic trial (seconds taken), unless bench/demo.py did in this run."""
    from accounts.demo import seed_accounts
    from demo.trial import build_trial
    from randomization.models import Allocation

    if "demo" in results:
        return results["demo"]["seed_326"]["seconds"]
    target = Allocation.objects.count() + size
    started = time.monotonic()
    build_trial(
        target, users=seed_accounts(), rng=random.Random(20250709), stdout=io.StringIO(), workers=4
    )
    return round(time.monotonic() - started, 1)


def run(results: dict[str, Any]) -> None:
    from crf.models import DailyFollowUp
    from participants.models import Participant
    from tests.factories import make_user_with_role

    seconds = trial(results)
    investigator = make_user_with_role("bench-crf-investigator", "investigator", "11")
    client = Client()
    client.force_login(investigator)
    row = (
        DailyFollowUp.objects.filter(participant__site__code="11")
        .values("participant")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    participant = Participant.objects.get(pk=row["participant"])
    last = DailyFollowUp.objects.filter(participant=participant).order_by("day_date").last()

    trivial = measure(lambda _i: expect_status(client.get("/bench/trivial"), 200))
    listing = measure(lambda _i: expect_status(client.get(reverse("participants:list")), 200))
    page = measure(
        lambda _i: expect_status(
            client.get(reverse("crf:participant", args=[participant.code])), 200
        )
    )
    grid = measure(
        lambda _i: expect_status(
            client.get(reverse("crf:daily_grid", args=[participant.code])), 200
        )
    )
    url = reverse("crf:daily_grid_row", args=[participant.code, last.day_date.isoformat()])

    def save_row(index: int) -> None:
        # Alternate the temperature so every save really changes the row (a reason is
        # required once the form is complete).
        current = DailyFollowUp.objects.get(pk=last.pk)
        data = {k: v for k, v in _grid_values(current).items() if v is not None}
        data.update(
            temperature_max_c="38.1" if index % 2 else "37.9",
            expected_version=current.version,
            reason_for_change="benchmark",
        )
        expect_status(client.post(url, data), 302)

    save = measure(save_row, iterations=100, warmup=10)
    base = trivial["median_ms"]
    scenarios = {
        "participant_list": listing,
        "participant_page": page,
        "daily_grid": grid,
        "daily_grid_save_row": save,
    }
    results["crf"] = {
        "trial": {
            "participants": 326,
            "build_seconds": seconds,
            "daily_forms_of_measured_participant": row["n"],
        },
        "trivial_view": trivial,
        **scenarios,
        "ratio_to_trivial_median": {
            k: round(v["median_ms"] / base, 2) for k, v in scenarios.items()
        },
        "ratio_to_trivial_p95": {
            k: round(v["p95_ms"] / trivial["p95_ms"], 2) for k, v in scenarios.items()
        },
        "goal_p95_ms": GOAL_P95_MS,
        "meets_goal": {k: v["p95_ms"] < GOAL_P95_MS for k, v in scenarios.items()},
    }


def _grid_values(row: Any) -> dict[str, Any]:
    """What the grid row posts: every field of the daily form, as the browser sends it."""
    from crf.definitions import by_model
    from crf.forms import form_class

    form = form_class(by_model(type(row)))(instance=row)
    values = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        values[name] = value
    return values
