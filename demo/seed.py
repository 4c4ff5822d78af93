"""What `manage.py seed_demo` seeds, in order (each step idempotent).

1. The demo accounts (accounts.demo), 2. the screening logs of sites 11 and 16
(eligibility.demo), 3. the allocation and kit lists, activation shipments and a few
randomizations (randomization.demo), 4. the pharmacy dispenses every kit allocated and not
yet dispensed (no randomized participant is left with a kit "to dispense"), 5. either the
CRF course of the demo participants randomized at sites 11 and 16 (up to today) with one
casebook verified and signed (monitoring.demo), or, with
`participants=N`, a synthetic trial of N randomized participants over the 23 sites
(demo.trial), 6. a few queries on the demo sites' daily forms (monitoring.demo). All
clinical writes go through the apps' services.
"""

from __future__ import annotations

import random
from typing import Any

from django.db import transaction

from accounts.demo import seed_accounts
from accounts.models import Membership, User
from accounts.roles import Role
from demo.trial import build_trial, builder_session, dispense_allocated, write_courses
from participants.models import Participant


def seed_demo_data(
    *, rng: random.Random, stdout: Any, participants: int = 0, workers: int = 1
) -> dict[str, User]:
    from eligibility.demo import seed as seed_eligibility
    from monitoring.demo import seed as seed_monitoring
    from randomization.demo import seed as seed_randomization

    with transaction.atomic():
        users = seed_accounts()
    seed_eligibility(users=users, rng=rng, stdout=stdout)
    seed_randomization(users=users, rng=rng, stdout=stdout)
    dispensed = dispense_everything_allocated()
    if dispensed:
        stdout.write(f"Pharmacy demo: {dispensed} allocated kit(s) dispensed")
    if participants:
        build_trial(participants, users=users, rng=rng, stdout=stdout, workers=workers)
    else:
        randomized = list(
            Participant.objects.filter(allocation__isnull=False, site__code__in=("11", "16"))
            .select_related("site", "enrolled_by")
            .order_by("pk")
        )
        with builder_session() as clock:
            built, writes = write_courses(
                randomized, seed=f"demo-{rng.getrandbits(32):08x}", users=users, clock=clock
            )
        stdout.write(f"CRF demo: {built} course(s) written ({writes} service calls)")
        seed_monitoring(users=users, rng=rng, stdout=stdout)
    from monitoring.demo_queries import seed as seed_queries

    seed_queries(users=users, rng=rng, stdout=stdout)
    return users


def dispense_everything_allocated() -> int:
    """Every kit allocated to a participant is dispensed by a pharmacist of its site."""
    from randomization.models import Kit

    dispensed = 0
    pending = (
        Participant.objects.filter(kits__status=Kit.Status.ALLOCATED)
        .distinct()
        .select_related("site")
        .order_by("pk")
    )
    for participant in pending:
        membership = (
            Membership.objects.active()
            .filter(role=Role.PHARMACIST, site=participant.site, user__is_active=True)
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        if membership is not None:
            dispensed += dispense_allocated(participant, pharmacist=membership.user)
    return dispensed
