"""Emergency unblinding of one participant, and the sponsor's authorisation to unblind the analysis.

``unblind_emergency`` is the only action that hands an arm out (through ``arm_access``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.models import User
from accounts.reauth import reauthenticate
from accounts.roles import Capability
from audit.services import record
from participants.models import Participant
from randomization import arm_access
from randomization.models import (
    Allocation,
    AllocationList,
    EmergencyUnblinding,
    Notification,
    UnblindingAuthorisation,
)
from randomization.services.outbox import notify


@dataclass
class UnblindingResult:
    unblinding: EmergencyUnblinding
    arm: str
    product: str


def unblind_emergency(
    participant: Participant,
    *,
    by: User,
    reason: str,
    password: str,
    token: str = "",
    request: HttpRequest | None = None,
) -> UnblindingResult:
    """Emergency unblinding of one participant by an investigator of its site.

    Re-authentication (password, and the authenticator code when set up) through
    `accounts.reauth`, before the transaction so that a refusal stays in the audit trail;
    the audit row and the notifications (without the arm) commit with the unblinding; the
    arm is returned once, to be shown once.
    """
    if not has_capability(by, Capability.EMERGENCY_UNBLIND, participant.site_id):
        raise PermissionDenied
    if not reason.strip():
        raise ValueError(gettext("A reason is required."))
    reauthenticate(
        by,
        password=password,
        token=token,
        purpose="emergency_unblinding",
        request=request,
        target=participant,
    )
    return _unblind_emergency(participant, by=by, reason=reason)


@transaction.atomic
def _unblind_emergency(participant: Participant, *, by: User, reason: str) -> UnblindingResult:
    participant = (
        Participant.objects.select_for_update().select_related("site").get(pk=participant.pk)
    )
    if not Allocation.objects.filter(participant=participant).exists():
        raise ValueError(gettext("This participant has not been randomized."))
    unblinding = EmergencyUnblinding.objects.create(
        participant=participant, site=participant.site, unblinded_by=by, reason=reason.strip()
    )
    record(
        "randomization.emergency_unblinding",
        target=participant,
        by=by,
        reason=reason.strip(),
        data={"unblinding": unblinding.pk},
    )
    notify(
        Notification.Kind.UNBLINDING,
        [
            participant.site.principal_investigator_email,
            settings.PLATINIUM_VIGILANCE_EMAIL,
            settings.PLATINIUM_TRIAL_MANAGER_EMAIL,
        ],
        site=participant.site,
        participant=participant,
        unblinding=unblinding,
    )
    arm = arm_access.emergency_arm(unblinding, user=by)
    # The product names recorded with the participant's list (docs/decisions/0030).
    allocation_list = AllocationList.objects.get(slots__allocation__participant=participant)
    return UnblindingResult(
        unblinding=unblinding, arm=arm, product=arm_access.product_label(arm, allocation_list)
    )


@transaction.atomic
def record_unblinding_authorisation(
    *, by: User, reference: str, reason: str = ""
) -> UnblindingAuthorisation:
    """The sponsor's written decision to unblind the analysis, recorded by data management."""
    if not has_capability(by, Capability.LOCK) or not reference.strip():
        raise PermissionDenied
    authorisation = UnblindingAuthorisation.objects.create(
        recorded_by=by, reference=reference.strip(), reason=reason
    )
    record(
        "randomization.unblinding_authorised",
        target=authorisation,
        by=by,
        data={"reference": reference.strip()},
        reason=reason,
    )
    return authorisation
