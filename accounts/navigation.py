"""The navigation bar, driven by capabilities: a link shows only if its URL would answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import has_capability
from accounts.roles import Capability as C

if TYPE_CHECKING:
    from accounts.types import Visitor


@dataclass(frozen=True)
class MenuItem:
    label: Any
    url_name: str
    capability: str
    # Further capabilities the page also requires (the dashboard: clinical access, ADR 0021).
    also: tuple[str, ...] = ()


MENU: list[MenuItem] = [
    MenuItem(_("Screening log"), "eligibility:screening_list", C.VIEW_CLINICAL_DATA),
    MenuItem(_("Participants"), "participants:list", C.VIEW_PARTICIPANTS),
    MenuItem(_("Record status"), "crf:status_dashboard", C.VIEW_CLINICAL_DATA),
    MenuItem(_("Serious adverse events"), "crf:sae_list", C.VIEW_CLINICAL_DATA),
    MenuItem(_("Dashboard"), "monitoring:dashboard", C.VIEW_DASHBOARDS, (C.VIEW_CLINICAL_DATA,)),
    MenuItem(_("Source data verification"), "monitoring:sdv_progress", C.SDV),
    MenuItem(_("Protocol deviations"), "monitoring:deviation_list", C.VIEW_DEVIATION_LOG),
    MenuItem(_("Casebooks to re-sign"), "monitoring:resign_list", C.SIGN),
    MenuItem(_("Pharmacy"), "randomization:pharmacy_home", C.MANAGE_KITS),
    MenuItem(_("Allocation lists"), "randomization:allocation_lists", C.LOAD_ALLOCATION_LIST),
    MenuItem(_("Unblinding log"), "randomization:unblinding_log", C.VIEW_UNBLINDING_LOG),
    MenuItem(_("Exports"), "exports:home", C.EXPORT_BLINDED),
    MenuItem(_("Audit log"), "audit:log", C.VIEW_GLOBAL_AUDIT_LOG),
    MenuItem(_("Users"), "accounts:user_list", C.MANAGE_USERS),
]


def menu_for(user: Visitor) -> list[dict[str, Any]]:
    items = []
    for item in MENU:
        if not all(has_capability(user, c) for c in (item.capability, *item.also)):
            continue
        items.append(
            {"label": item.label, "url": reverse(item.url_name), "url_name": item.url_name}
        )
    return items
