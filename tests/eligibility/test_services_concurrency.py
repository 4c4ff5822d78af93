"""Concurrent enrolments at one site get unique, gap-free participant codes (real threads)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from eligibility.models import Screening
from eligibility.services import enrol
from participants.models import Participant
from tests.eligibility.factories import (
    FACTORY_PASSWORD,
    consent,
    make_screening,
    site_investigator,
)

WORKERS = 6


def _run_together(work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Start WORKERS threads on a barrier, each with its own database connection."""
    barrier = threading.Barrier(WORKERS)
    results: list[Any] = []
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(work(index))
        except BaseException as error:  # collected and asserted by the test
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_enrolments_at_one_site_are_unique_and_gap_free(site11: Any) -> None:
    investigator = site_investigator(site11)
    screenings = []
    for _ in range(WORKERS):
        screening = make_screening(site11, by=investigator)
        consent(screening, by=investigator)
        screenings.append(screening)

    def work(index: int) -> str:
        return enrol(screenings[index], by=investigator, password=FACTORY_PASSWORD).code

    codes, errors = _run_together(work)
    assert errors == []
    assert sorted(codes) == [f"11-{n:03d}" for n in range(1, WORKERS + 1)]
    assert Screening.objects.filter(status="enrolled").count() == WORKERS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_negative_control_naive_max_plus_one_collides(site11: Any) -> None:
    """Without the counter lock, simultaneous max(seq)+1 reads hand out the same number."""
    investigator = site_investigator(site11)
    read_done = threading.Barrier(WORKERS)

    def work(index: int) -> str:
        with transaction.atomic():
            highest = Participant.objects.filter(site=site11).aggregate(m=Max("seq"))["m"] or 0
            read_done.wait(timeout=10)  # everyone has read before anyone writes
            seq = highest + 1
            Participant.objects.create(
                site=site11,
                seq=seq,
                code=Participant.format_code("11", seq),
                enrolled_at=timezone.now(),
                enrolled_by=investigator,
            )
            return Participant.format_code("11", seq)

    codes, errors = _run_together(work)
    duplicates = len(codes) != len(set(codes))
    integrity_errors = [e for e in errors if isinstance(e, IntegrityError)]
    assert duplicates or integrity_errors
    assert Participant.objects.count() < WORKERS  # some enrolments were lost
