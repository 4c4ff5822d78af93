"""Access helpers of the CRF pages (object-level checks stay in querysets)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.access import has_capability, site_filter
from accounts.roles import Capability
from participants.models import Participant

if TYPE_CHECKING:
    from accounts.types import User

# Acknowledging an SAE is data management's (for the sponsor's vigilance).
ACKNOWLEDGE_SAE = Capability.ACKNOWLEDGE_SAE


def get_participant_for_user(user: User, code: str) -> Participant:
    """A participant whose clinical data the user may see (else 404)."""
    qs = Participant.objects.filter(site_filter(user, Capability.VIEW_CLINICAL_DATA))
    return get_object_or_404(qs.select_related("site"), code=code)


def can_enter(user: User, participant: Participant, capability: str = Capability.ENTER_CRF) -> bool:
    return has_capability(user, capability, participant.site_id)


def require_enter(
    user: User, participant: Participant, capability: str = Capability.ENTER_CRF
) -> None:
    if not can_enter(user, participant, capability):
        raise PermissionDenied
