"""Home-page work lists of the pharmacy and of the randomization manager (issue #11).
Counts of kits by status and expiry and of shipments: never by arm (blinded pharmacist)."""

from __future__ import annotations

from typing import Any

from randomization.models import AllocationList, Kit, Shipment


def pharmacy_counts(site: Any) -> dict[str, int]:
    kits = Kit.objects.at_site(site).order_by()
    return {
        "kits_to_dispense": kits.to_dispense().count(),
        "shipments_to_receive": Shipment.objects.filter(site=site).to_receive().count(),
        "kits_expiring": kits.expiring().count(),
    }


def randomization_manager_counts() -> dict[str, int]:
    return {
        "allocation_lists": AllocationList.objects.count(),
        "kits_at_depot": Kit.objects.filter(status=Kit.Status.AT_DEPOT).count(),
    }
