"""The demo screening log: realistic, idempotent, enough unrandomized participants."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest

from accounts.demo import seed_accounts
from eligibility.demo import seed
from eligibility.models import Screening
from participants.models import Participant


@pytest.mark.django_db
def test_demo_screening_log_is_realistic_and_idempotent(settings: Any) -> None:
    users = seed_accounts()
    seed(users=users, rng=random.Random(1), stdout=io.StringIO())
    count = Screening.objects.count()
    assert 28 <= count <= 32
    failed = {
        code for codes in Screening.objects.values_list("failed_codes", flat=True) for code in codes
    }
    assert {"I1", "I3", "I4", "E4", "E13", "E18", "E19"} <= failed
    assert Screening.objects.filter(status="incomplete").count() >= 3
    enrolled = Participant.objects.filter(status="enrolled")
    assert enrolled.count() >= 5
    assert all(p.screening.consent for p in enrolled)
    assert Screening.objects.filter(status="eligible").exists()
    seed(users=users, rng=random.Random(1), stdout=io.StringIO())
    assert Screening.objects.count() == count
