"""Blinded reads other apps need about a participant's randomization (never the arm)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from randomization.models import Allocation, Kit, KitEvent


def dispensed_kit_codes_for(participant: Any) -> set[str]:
    """Codes of the kits the pharmacy dispensed to the participant: the only kits an
    injection may name. Read from the append-only kit log, so a kit dispensed then in
    use, completed or returned still counts, and a kit merely allocated ("to dispense")
    does not."""
    return set(
        KitEvent.objects.filter(
            participant=participant,
            to_status=Kit.Status.DISPENSED,
            kit__participant=participant,
        ).values_list("kit__code", flat=True)
    )


def kit_codes_for(participant: Any) -> set[str]:
    """Codes of the kits allocated to the participant, replacement kits included."""
    return set(Kit.objects.filter(participant=participant).values_list("code", flat=True))


def randomized_at(participant: Any) -> datetime | None:
    """When the participant was randomized (day 0), or None if not randomized."""
    return (
        Allocation.objects.filter(participant=participant)
        .values_list("randomized_at", flat=True)
        .first()
    )


def allocation_of(participant: Any) -> Allocation | None:
    return (
        Allocation.objects.filter(participant=participant)
        .select_related("slot", "participant", "site")
        .first()
    )
