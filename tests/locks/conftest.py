"""A small synthetic trial with at least one row in EVERY guarded clinical table, built once
per test module in an outer transaction and rolled back at the end (as tests/crf/trial.py)."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

SIZE = 12


def _top_up(users: dict[str, Any]) -> None:
    """Tables the synthetic course leaves empty at this size get one row each."""
    from crf.models import (
        FollowUp,
        InfectionMicroorganism,
        ProtocolDeviation,
        Readmission,
        SecondaryInfection,
    )
    from crf.models.followup import ReadmissionReason

    coordinator = users["demo-coordinator"]
    follow_up = FollowUp.objects.order_by("pk").first()
    if not Readmission.objects.exists():
        Readmission.objects.create(
            follow_up=follow_up,
            admission_date=follow_up.participant.enrolled_at.date() + timedelta(days=40),
            reason=ReadmissionReason.values[0],
        )
    infection = SecondaryInfection.objects.order_by("pk").first()
    if not InfectionMicroorganism.objects.exists():
        InfectionMicroorganism.objects.create(infection=infection, position=1, organism="E. coli")
    if not ProtocolDeviation.objects.exists():
        ProtocolDeviation.objects.create(
            participant=follow_up.participant, created_by=coordinator, description="late visit"
        )


@pytest.fixture(scope="module")
def lock_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from accounts.demo import seed_accounts
    from demo.trial import build_trial

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            users = seed_accounts()
            build_trial(SIZE, users=users, rng=random.Random(20261203), stdout=io.StringIO())
            _top_up(users)
            yield {"users": users, "dm": users["demo-datamanager"]}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
