"""The navigation bar, driven by capabilities: a link shows only if its URL would answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import has_capability
from accounts.roles import Capability as C


@dataclass(frozen=True)
class MenuItem:
    label: Any
    url_name: str
    capability: str


MENU: list[MenuItem] = [
    MenuItem(_("Screening log"), "eligibility:screening_list", C.SCREEN),
    MenuItem(_("Participants"), "participants:list", C.VIEW_PARTICIPANTS),
    MenuItem(_("Pharmacy"), "randomization:pharmacy_home", C.MANAGE_KITS),
    MenuItem(_("Allocation lists"), "randomization:allocation_lists", C.LOAD_ALLOCATION_LIST),
    MenuItem(_("Queries"), "monitoring:query_list", C.RAISE_QUERY),
    MenuItem(_("Exports"), "exports:home", C.EXPORT_BLINDED),
    MenuItem(_("Audit log"), "audit:log", C.VIEW_GLOBAL_AUDIT_LOG),
    MenuItem(_("Users"), "accounts:user_list", C.MANAGE_USERS),
]


def menu_for(user: Any) -> list[dict[str, Any]]:
    items = []
    for item in MENU:
        if not has_capability(user, item.capability):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the feature is not built yet
        items.append({"label": item.label, "url": url, "url_name": item.url_name})
    return items
