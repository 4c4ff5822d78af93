"""Demo data of this app, called by `manage.py seed_demo` (idempotent).

A UAT allocation list from a fixed demo seed, a depot kit list, the 4 + 4 activation
shipments of every site (received at sites 11 and 16), then some of the enrolled demo
participants randomized through the real service, leaving at least three enrolled.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import Membership, User
from accounts.roles import Role
from audit.context import acting_user
from participants.models import Participant
from platinium.lib.study_time import paris_today
from randomization import allocation_list, kit_codes
from randomization import parameters as p
from randomization.models import AllocationList, Kit, KitList, Shipment
from randomization.services.allocation import RandomizationRefused, randomize
from randomization.services.lists import import_allocation_list, import_kit_list
from randomization.services.supply import (
    close_receipt,
    dispatch_shipment,
    receive_kit,
    request_initial_supply,
)
from sites.models import Site

DEMO_SEED = "5eed0000000000000000000000000001"
DEMO_LIST_VERSION = "demo-1"
DEMO_KIT_LIST = "platinium_kits_demo.csv"
KITS_PER_ARM = 150
LEAVE_ENROLLED = 3
MAX_RANDOMIZED_PER_SITE = 6


def _pharmacist_at(code: str) -> User | None:
    """A pharmacist of the site (the shared demo accounts may have none at 16)."""
    membership = (
        Membership.objects.active()
        .filter(role=Role.PHARMACIST, site__code=code, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
        .first()
    )
    return membership.user if membership else None


def _load_lists(rm: User, rng: random.Random, stdout: Any) -> None:
    if not AllocationList.objects.filter(list_version=DEMO_LIST_VERSION).exists():
        if AllocationList.objects.exists():
            stdout.write("Randomization demo: another allocation list is loaded; kept.")
        else:
            # The list names the products, so the demo's emergency unblinding shows one.
            data = allocation_list.generate(
                DEMO_SEED,
                settings.PLATINIUM_ENV,
                DEMO_LIST_VERSION,
                products=p.DEFAULT_PRODUCTS,
            ).encode("utf-8")
            import_allocation_list(
                data,
                by=rm,
                declared_sha256=allocation_list.sha256_hex(data),
                filename=allocation_list.default_filename(
                    settings.PLATINIUM_ENV, DEMO_LIST_VERSION
                ),
            )
    if not KitList.objects.filter(filename=DEMO_KIT_LIST).exists():
        expiry = paris_today(timezone.now()) + timedelta(days=730)
        data = kit_codes.generate_kit_list(
            KITS_PER_ARM,
            "DEMO-01",
            expiry,
            rng=random.Random(rng.random()),
            existing=set(Kit.objects.values_list("code", flat=True)),
        ).encode("utf-8")
        import_kit_list(
            data, by=rm, declared_sha256=allocation_list.sha256_hex(data), filename=DEMO_KIT_LIST
        )


def _supply(rm: User, pharmacists: dict[str, User]) -> None:
    for site in Site.objects.active():
        shipment = request_initial_supply(site, by=rm)
        if shipment.status == Shipment.Status.REQUESTED:
            dispatch_shipment(shipment, by=rm)
    for code, pharmacist in pharmacists.items():
        shipment = Shipment.objects.get(site__code=code, reason=Shipment.Reason.ACTIVATION)
        if shipment.status != Shipment.Status.IN_TRANSIT:
            continue
        for kit in Kit.objects.filter(shipment=shipment, status=Kit.Status.IN_TRANSIT):
            receive_kit(shipment, by=pharmacist, scanned_code=kit.code)
        close_receipt(
            shipment, by=pharmacist, temperature=Shipment.Temperature.OK, note="demo receipt"
        )


def _randomize(investigators: dict[str, User], stdout: Any) -> int:
    done = 0
    for code, investigator in investigators.items():
        enrolled = list(
            Participant.objects.filter(
                site__code=code, status=Participant.Status.ENROLLED
            ).order_by("seq")
        )
        if not Kit.objects.filter(site__code=code, status=Kit.Status.AVAILABLE).exists():
            continue  # kits not received: randomizing would only raise no-kit alerts
        # Prefix imbalance of the list is at most 2, so 6 randomizations never need more
        # than 4 kits of one arm: the 4 + 4 received kits suffice, no no-kit alert.
        room = (
            MAX_RANDOMIZED_PER_SITE
            - Participant.objects.filter(site__code=code, allocation__isnull=False).count()
        )
        for participant in enrolled[: max(0, min(room, len(enrolled) - LEAVE_ENROLLED))]:
            try:
                randomize(participant, by=investigator, idempotency_key=f"demo-{participant.code}")
                done += 1
            except RandomizationRefused as exc:
                stdout.write(
                    f"Randomization demo: {participant.code} not randomized: "
                    + "; ".join(exc.messages)
                )
    return done


def seed(*, users: dict[str, Any], rng: random.Random, stdout: Any) -> None:
    if settings.PLATINIUM_ENV == "PROD":
        stdout.write("Randomization demo skipped: this server is PROD.")
        return
    rm = users["demo-randomization"]
    pharmacists: dict[str, User] = {}
    for code in ("11", "16"):
        pharmacist = _pharmacist_at(code)
        if pharmacist is None:
            stdout.write(
                f"Randomization demo: no pharmacist at site {code}; its kits stay in transit."
            )
        else:
            pharmacists[code] = pharmacist
    investigators = {"11": users["demo-investigator"], "16": users["demo-investigator-nantes"]}
    with acting_user(rm):
        _load_lists(rm, rng, stdout)
        _supply(rm, pharmacists)
    randomized = _randomize(investigators, stdout)
    stdout.write(
        f"Randomization demo: list {DEMO_LIST_VERSION}, "
        f"{Kit.objects.count()} kits, {randomized} participant(s) randomized now, "
        f"{Participant.objects.filter(status=Participant.Status.ENROLLED).count()} enrolled "
        "awaiting randomization."
    )
