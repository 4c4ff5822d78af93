"""Demo data of this app, called by `manage.py seed_demo` (idempotent).

Without `participants`: the demo participants already randomized (sites 11 and 16) get a
realistic course up to today (ICU grid days, injections, …). With `participants=N`: a
synthetic full trial of N randomized participants across the 23 sites (crf.synthetic).
"""

from __future__ import annotations

import random
from typing import Any

from crf.synthetic import build_trial, seed_courses
from participants.models import Participant


def seed(*, users: dict[str, Any], rng: random.Random, stdout: Any, participants: int = 0) -> None:
    if participants:
        build_trial(participants, users=users, rng=rng, stdout=stdout)
        return
    randomized = list(
        Participant.objects.filter(allocation__isnull=False, site__code__in=("11", "16"))
        .select_related("site")
        .order_by("pk")
    )
    seed_courses(randomized, seed=f"demo-{rng.getrandbits(32):08x}", stdout=stdout)
