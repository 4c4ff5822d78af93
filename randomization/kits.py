"""The kit state machine: one transition table, one transition function (randomization.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from randomization.models import Kit, KitEvent

if TYPE_CHECKING:
    from accounts.types import User

S = Kit.Status

# Main line MANUFACTURED → … → DESTROYED, and the side states DAMAGED, LOST, EXPIRED,
# QUARANTINED. Anything not listed here raises IllegalTransition.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.MANUFACTURED: frozenset({S.AT_DEPOT}),
    S.AT_DEPOT: frozenset({S.IN_TRANSIT, S.EXPIRED, S.DAMAGED, S.QUARANTINED}),
    S.IN_TRANSIT: frozenset({S.RECEIVED, S.QUARANTINED, S.LOST}),
    S.RECEIVED: frozenset({S.AVAILABLE, S.QUARANTINED, S.DAMAGED, S.LOST}),
    S.AVAILABLE: frozenset({S.ALLOCATED, S.EXPIRED, S.DAMAGED, S.LOST, S.QUARANTINED}),
    S.ALLOCATED: frozenset({S.DISPENSED, S.DAMAGED, S.LOST}),
    S.DISPENSED: frozenset({S.IN_USE, S.RETURNED, S.DAMAGED, S.LOST}),
    S.IN_USE: frozenset({S.COMPLETED, S.RETURNED, S.DAMAGED, S.LOST}),
    S.COMPLETED: frozenset({S.RETURNED}),
    S.RETURNED: frozenset({S.PENDING_DESTRUCTION}),
    S.PENDING_DESTRUCTION: frozenset({S.DESTROYED}),
    S.DESTROYED: frozenset(),
    S.DAMAGED: frozenset({S.PENDING_DESTRUCTION}),
    S.LOST: frozenset(),
    S.EXPIRED: frozenset({S.PENDING_DESTRUCTION}),
    # Quarantine decisions apply to the whole shipment: release or destroy.
    S.QUARANTINED: frozenset({S.AVAILABLE, S.PENDING_DESTRUCTION}),
}

# Kits the site holds physically and has to account for.
ON_SITE = frozenset(
    {
        S.RECEIVED,
        S.AVAILABLE,
        S.ALLOCATED,
        S.QUARANTINED,
        S.EXPIRED,
        S.DAMAGED,
        S.RETURNED,
        S.PENDING_DESTRUCTION,
    }
)


class IllegalTransition(Exception):
    def __init__(self, kit: Kit, to_status: str) -> None:
        self.kit, self.to_status = kit, to_status
        super().__init__(f"kit {kit.code}: {kit.status} → {to_status} is not allowed")


def can_transition(kit: Kit, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(kit.status, frozenset())


def transition(
    kit: Kit,
    to_status: str,
    *,
    by: User,
    reason: str = "",
    shipment: Any = None,
    participant: Any = None,
    data: dict[str, Any] | None = None,
    update_fields: tuple[str, ...] = (),
) -> KitEvent:
    """Move ``kit`` (locked by the caller) to ``to_status`` and append the log entry.

    ``update_fields`` names other kit fields the caller changed in the same step.
    """
    if not can_transition(kit, to_status):
        raise IllegalTransition(kit, to_status)
    from_status = kit.status
    kit.status = to_status
    kit.save(update_fields=["status", *update_fields])
    return KitEvent.objects.create(
        kit=kit,
        from_status=from_status,
        to_status=to_status,
        by=by if getattr(by, "pk", None) else None,
        site_id=kit.site_id,
        shipment=shipment,
        participant=participant,
        reason=reason,
        data=data or {},
    )
