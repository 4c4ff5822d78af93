"""The trial a load run works on: the synthetic trial (demo.trial, the seed_demo code
path) and the load accounts. Runs with Django set up on the load database."""

from __future__ import annotations

import io
import random
from typing import Any

LOAD_PASSWORD = "load-platinium-only"
SITE_ROLES = ("investigator", "coordinator", "pharmacist")
MONITOR = "load-monitor"
DATA_MANAGER = "load-datamanager"


def site_username(code: str, role: str) -> str:
    return f"load-{code}-{role}"


def build(participants: int, *, workers: int = 1, seed: int = 20250709) -> None:
    """Top the trial up to `participants` and create the load accounts (idempotent)."""
    from accounts.demo import seed_accounts
    from audit.context import acting_user
    from demo.trial import build_trial

    with acting_user(None, reason="load test data"):
        users = seed_accounts()
        if participants:
            build_trial(
                participants,
                users=users,
                rng=random.Random(seed),
                stdout=io.StringIO(),
                workers=workers,
            )
        create_load_accounts()


def create_load_accounts() -> list[dict[str, Any]]:
    """One investigator, research nurse and pharmacist per active site, a monitor of every
    site and a data manager: known password, bench databases only."""
    from accounts.models import Membership, User
    from accounts.roles import Role
    from sites.models import Site

    sites = list(Site.objects.active().order_by("code"))
    wanted: list[tuple[str, str, list[Any]]] = [
        (site_username(site.code, role), role, [site]) for site in sites for role in SITE_ROLES
    ]
    wanted += [(MONITOR, Role.MONITOR, sites), (DATA_MANAGER, Role.DATA_MANAGER, [None])]
    accounts = []
    for username, role, at in wanted:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@platinium.invalid"}
        )
        if created:
            user.set_password(LOAD_PASSWORD)
            user.save()
        for site in at:
            Membership.objects.get_or_create(user=user, role=role, site=site, revoked_at=None)
        site_code = at[0].code if at[0] is not None and len(at) == 1 else ""
        accounts.append({"username": username, "role": str(role), "site": site_code})
    return accounts


def participant_sites() -> list[str]:
    """Sites with at least one randomized participant (the smoke run uses only these)."""
    from participants.models import Participant

    codes = Participant.objects.filter(allocation__isnull=False).values_list(
        "site__code", flat=True
    )
    return sorted(set(codes))


if __name__ == "__main__":
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    build(int(sys.argv[1]), workers=int(sys.argv[2]) if len(sys.argv) > 2 else 1)
