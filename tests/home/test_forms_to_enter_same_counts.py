"""The home page's "injections due today" and "overdue forms" (ADR 0023, made lean by ADR
0028) give exactly what the participant page's timeline gives: on a synthetic trial whose
participants are at every stage (demo.trial, the seed of tests/demo), for every
participant and many "today"s, the lean path (schedule rows only, no timeline built) and
the full timeline (every row, `build_timeline`) find the same forms, field for field."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from crf import timeline, todo
from participants.models import Participant
from platinium.lib.study_time import paris_today

pytestmark = pytest.mark.django_db

SEED, SIZE = 19, 12  # tests/demo/test_synthetic_trial.py: 12 participants at every stage


@pytest.fixture(scope="module")
def trial(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    from accounts.demo import seed_accounts
    from demo.trial import build_trial
    from sites.models import Site
    from tests.crf.helpers import randomized
    from tests.factories import restore_migration_data

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            restore_migration_data()
            users = seed_accounts()
            build_trial(SIZE, users=users, rng=random.Random(SEED), stdout=io.StringIO())
            # And participants in their injection days, nothing entered yet.
            site = Site.objects.get(code="11")
            for days_ago in (1, 3, 4, 6, 8):
                randomized(site, days_ago=days_ago, dispensed=False)
            yield users["demo-datamanager"]  # every site, as the lists read them
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def key(item: timeline.Item) -> tuple[Any, ...]:
    return (
        item.code,
        item.target_date,
        item.study_day,
        item.status,
        item.occurrence,
        item.window,
        item.row_id,
        str(item.label),
        item.slug,
        item.query,
    )


def full_timeline_entries(user: Any, today: Any) -> dict[str, list[tuple[Any, ...]]]:
    """The reference: each participant's whole timeline (the participant page's reads)."""
    found: dict[str, list[tuple[Any, ...]]] = {kind: [] for kind in todo.KINDS}
    for participant in Participant.objects.filter(allocation__isnull=False).order_by("code"):
        line = timeline.build_timeline(timeline.load_course(participant, user), today)
        for item in line.items if line else []:
            for kind in todo.KINDS:
                if todo._matches(kind, item):
                    found[kind].append((participant.code, *key(item)))
    return found


def lean_entries(user: Any, today: Any, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(todo, "paris_today", lambda _now: today)
    entries = todo.forms_to_enter(Participant.objects.all(), user)
    return {
        kind: [(e.participant.code, *key(e.item)) for e in entries[kind]] for kind in todo.KINDS
    }


def days_to_check() -> list[Any]:
    today = paris_today(timezone.now())
    return [today + timedelta(days=n) for n in range(-120, 30, 3)] + [today]


def test_the_lean_work_list_finds_exactly_the_forms_of_the_full_timeline(
    trial: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = trial
    seen = dict.fromkeys(todo.KINDS, 0)
    for today in days_to_check():
        expected = full_timeline_entries(user, today)
        assert lean_entries(user, today, monkeypatch) == expected, today
        for kind in todo.KINDS:
            seen[kind] += len(expected[kind])
    # Not vacuous: both kinds were found on many days.
    assert seen[todo.INJECTIONS_DUE] > 10 and seen[todo.OVERDUE] > 10, seen


def test_negative_control_a_lean_read_that_forgets_a_kind_of_form_is_caught(
    trial: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Drop the injections from the lean read: some day's lists differ from the full
    timeline's, so the comparison above would catch a read that misses rows."""
    user = trial
    monkeypatch.setattr(
        timeline,
        "SCHEDULE_DEFINITIONS",
        tuple(d for d in timeline.SCHEDULE_DEFINITIONS if d.code != "INJ"),
    )
    assert any(
        lean_entries(user, today, monkeypatch) != full_timeline_entries(user, today)
        for today in days_to_check()
    )
