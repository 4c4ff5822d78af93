"""The synthetic trial of `seed_demo --participants N`: valid, deterministic, idempotent.

The full 326-participant build (counts, time < 300 s) is the slow test of
tests/crf/test_query_budget.py, which reuses that database for the query budgets.
"""

from __future__ import annotations

import io
import random

import pytest
from django.db import transaction
from django.db.models import Count

from crf.models import (
    AdverseEvent,
    DailyFollowUp,
    Death,
    FollowUp,
    IcuStay,
    SecondaryInfection,
    StudyDrugAdministration,
)
from crf.schedule import d0_from_randomized_at, to_study_date
from participants.models import Participant

pytestmark = pytest.mark.django_db


def demo_users():
    from accounts.demo import seed_accounts

    return seed_accounts()


def build(n: int, seed: int = 7) -> io.StringIO:
    from crf.synthetic import build_trial

    out = io.StringIO()
    build_trial(n, users=demo_users(), rng=random.Random(seed), stdout=out)
    return out


def snapshot() -> dict:
    """The trial's content without database ids or kit codes (kit choice is random)."""
    return {
        "participants": sorted(Participant.objects.values_list("code", "status")),
        "daily": sorted(
            DailyFollowUp.objects.values_list(
                "participant__code", "day_date", "sofa_total", "imv", "status"
            )
        ),
        "injections": sorted(
            StudyDrugAdministration.objects.values_list(
                "participant__code", "number", "given", "given_at", "status"
            )
        ),
        "infections": sorted(
            SecondaryInfection.objects.values_list("participant__code", "onset_date", "category")
        ),
        "deaths": sorted(Death.objects.values_list("participant__code", "death_date")),
    }


def test_small_trial_is_valid_against_the_schedule_rules():
    build(30)
    randomized = Participant.objects.filter(allocation__isnull=False)
    assert randomized.count() == 30
    assert randomized.values("site").distinct().count() >= 10
    stays = {}
    for stay in IcuStay.objects.filter(stay_number=1):
        stays.setdefault(stay.participant_id, []).append(stay)
    for stay in IcuStay.objects.filter(stay_number=2):
        stays.setdefault(stay.participant_id, []).append(stay)
    for row in DailyFollowUp.objects.select_related("participant__allocation"):
        t_r = row.participant.allocation.randomized_at
        d0 = d0_from_randomized_at(t_r)
        assert 0 <= (row.day_date - d0).days <= 90
        assert any(
            to_study_date(s.admitted_at) <= row.day_date
            and (s.discharged_at is None or row.day_date <= to_study_date(s.discharged_at))
            for s in stays[row.participant_id]
        ), row
    given = StudyDrugAdministration.objects.filter(given=True)
    assert given.exists()
    for injection in given.select_related("participant__allocation"):
        assert 1 <= injection.study_day <= 9
    per_participant = given.values("participant").annotate(n=Count("id"))
    assert max(row["n"] for row in per_participant) <= 5
    # Participants are at different stages: some still in the ICU, some completed.
    assert (
        IcuStay.objects.filter(discharged_at__isnull=True).exists()
        or randomized.filter(status="randomized").exists()
    )
    assert FollowUp.objects.filter(visit="FU_D90").exists()


def test_same_seed_gives_the_same_trial_and_a_second_run_adds_nothing():
    with transaction.atomic():
        build(12, seed=3)
        first = snapshot()
        transaction.set_rollback(True)
    build(12, seed=3)
    assert snapshot() == first
    counts = (
        Participant.objects.count(),
        DailyFollowUp.objects.count(),
        AdverseEvent.objects.count(),
    )
    output = build(12, seed=3).getvalue()
    assert (
        Participant.objects.count(),
        DailyFollowUp.objects.count(),
        AdverseEvent.objects.count(),
    ) == counts
    assert "0 participants" in output
