"""The randomization demo data: lists, kits, activation shipments, randomizations; idempotent."""

from __future__ import annotations

import io
import random

import pytest

from accounts.demo import seed_accounts
from participants.models import Participant
from randomization import demo
from randomization.models import Allocation, AllocationList, Kit, Shipment


@pytest.mark.django_db
def test_the_demo_is_idempotent_and_leaves_enrolled_participants(settings):
    settings.PLATINIUM_ENV = "UAT"
    from eligibility.demo import seed as seed_eligibility

    users = seed_accounts()
    # Until accounts/demo.py has a pharmacist at Nantes (asked of the lead).
    from tests.factories import make_user_with_role

    make_user_with_role("demo-pharmacist-nantes", "pharmacist", "16")
    seed_eligibility(users=users, rng=random.Random(1), stdout=io.StringIO())
    demo.seed(users=users, rng=random.Random(1), stdout=io.StringIO())
    counts = (
        AllocationList.objects.count(),
        Kit.objects.count(),
        Shipment.objects.count(),
        Allocation.objects.count(),
    )
    assert counts[0] == 1 and counts[1] == 2 * demo.KITS_PER_ARM
    assert (
        Kit.objects.filter(site__code__in=["11", "16"])
        .exclude(status=Kit.Status.IN_TRANSIT)
        .count()
        == 16
    )
    for code in ("11", "16"):
        assert (
            Participant.objects.filter(site__code=code, status=Participant.Status.ENROLLED).count()
            >= 3
        )
    assert Allocation.objects.exists()
    demo.seed(users=users, rng=random.Random(1), stdout=io.StringIO())
    assert (
        AllocationList.objects.count(),
        Kit.objects.count(),
        Shipment.objects.count(),
        Allocation.objects.count(),
    ) == counts
