"""Kits at the site pharmacy: dispensing, incidents, replacement, returns, destruction, expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from audit.services import record
from participants.models import Participant
from platinium.lib.study_time import paris_today
from randomization.kits import IllegalTransition, transition
from randomization.models import Kit, Stratum
from randomization.services.allocation import NoKitAvailable, alert_no_kit, allocate_kit
from randomization.services.scanning import KitRefused, require_kit_manager, scan
from randomization.services.supply import check_resupply
from sites.models import Site

S = Kit.Status


@transaction.atomic
def dispense_kit(participant: Participant, *, by: User, scanned_code: str) -> Kit:
    """Dispense by scanning: only the kit allocated to this participant passes."""
    require_kit_manager(by, participant.site_id)
    kit = scan(scanned_code, site_id=participant.site_id)
    if kit.status == S.QUARANTINED:
        raise KitRefused(gettext("Kit %(code)s is quarantined.") % {"code": kit.code})
    if kit.status == S.EXPIRED or kit.expiry < paris_today(timezone.now()):
        raise KitRefused(gettext("Kit %(code)s has expired.") % {"code": kit.code})
    if kit.participant_id != participant.pk or kit.status != S.ALLOCATED:
        allocated = sorted(
            Kit.objects.filter(participant=participant, status=S.ALLOCATED).values_list(
                "code", flat=True
            )
        )
        raise KitRefused(
            gettext(
                "Kit %(code)s is not the kit allocated to %(participant)s (expected: %(expected)s)."
            )
            % {
                "code": kit.code,
                "participant": participant.code,
                "expected": ", ".join(allocated) or "—",
            }
        )
    transition(kit, S.DISPENSED, by=by, participant=participant)
    record("randomization.kit_dispensed", target=participant, by=by, data={"kit": kit.code})
    return kit


@dataclass
class IncidentResult:
    kit: Kit
    replacement: Kit | None


def report_kit_incident(
    kit: Kit, *, by: User, lost: bool, doses_remaining: bool, reason: str
) -> IncidentResult:
    """A damaged or lost kit; with doses remaining its participant gets a kit of the
    same arm, chosen by the server (the pharmacist only sees codes)."""
    try:
        return _report_kit_incident(
            kit, by=by, lost=lost, doses_remaining=doses_remaining, reason=reason
        )
    except NoKitAvailable:
        if kit.participant_id:
            alert_no_kit(kit.participant, by=by)
        raise


@transaction.atomic
def _report_kit_incident(
    kit: Kit, *, by: User, lost: bool, doses_remaining: bool, reason: str
) -> IncidentResult:
    if kit.site_id is None:
        raise PermissionDenied
    require_kit_manager(by, kit.site_id)
    if not reason.strip():
        raise KitRefused(gettext("A reason is required."))
    site = Site.objects.get(pk=kit.site_id)
    # Same lock as randomize: a replacement and a randomization never take the same kit.
    Stratum.objects.select_for_update().filter(site=site).first()
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    target = S.LOST if lost else S.DAMAGED
    try:
        transition(kit, target, by=by, participant=kit.participant, reason=reason.strip())
    except IllegalTransition:
        raise KitRefused(
            gettext("Kit %(code)s cannot be declared damaged or lost now.") % {"code": kit.code}
        ) from None
    record(
        "randomization.kit_incident",
        target=kit,
        by=by,
        data={"kit": kit.code, "status": target},
        reason=reason.strip(),
    )
    replacement = None
    if kit.participant_id and doses_remaining:
        replacement = allocate_kit(site, kit.arm_token, today=paris_today(timezone.now()))
        if replacement is None:
            raise NoKitAvailable()
        now = timezone.now()
        replacement.participant, replacement.allocated_at = kit.participant, now
        replacement.replaces = kit
        transition(
            replacement,
            S.ALLOCATED,
            by=by,
            participant=kit.participant,
            reason=f"replacement of {kit.code}",
            update_fields=("participant", "allocated_at", "replaces"),
        )
        record(
            "randomization.kit_replaced",
            target=kit.participant,
            by=by,
            data={"kit": kit.code, "replacement": replacement.code},
        )
    check_resupply(site, by=by)
    return IncidentResult(kit=kit, replacement=replacement)


def _move_kit(
    kit: Kit,
    target: str,
    *,
    by: User,
    refusal: str,
    with_participant: bool = False,
    reason: str = "",
) -> Kit:
    """The pharmacy's accountability moves: only a kit manager of the kit's site, the kit
    locked, a transition the kit's life cycle allows (otherwise `refusal`, nothing written).
    Runs inside the caller's transaction."""
    if kit.site_id is None:
        raise PermissionDenied
    require_kit_manager(by, kit.site_id)
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    participant = kit.participant if with_participant else None
    try:
        transition(kit, target, by=by, participant=participant, reason=reason.strip())
    except IllegalTransition:
        raise KitRefused(refusal % {"code": kit.code}) from None
    return kit


@transaction.atomic
def return_kit(kit: Kit, *, by: User, reason: str = "") -> Kit:
    """A dispensed kit comes back to the pharmacy (accountability)."""
    return _move_kit(
        kit,
        S.RETURNED,
        by=by,
        reason=reason,
        with_participant=True,
        refusal=gettext("Kit %(code)s cannot be returned now."),
    )


@transaction.atomic
def send_to_destruction(kit: Kit, *, by: User, reason: str = "") -> Kit:
    return _move_kit(
        kit,
        S.PENDING_DESTRUCTION,
        by=by,
        reason=reason,
        refusal=gettext("Kit %(code)s cannot be sent to destruction now."),
    )


@transaction.atomic
def destroy_kit(kit: Kit, *, by: User, reason: str = "") -> Kit:
    kit = _move_kit(
        kit,
        S.DESTROYED,
        by=by,
        reason=reason,
        refusal=gettext("Kit %(code)s is not pending destruction."),
    )
    record("randomization.kit_destroyed", target=kit, by=by, data={"kit": kit.code})
    return kit


@transaction.atomic
def start_kit_use(kit: Kit, *, by: User) -> Kit:
    """First injection given from a dispensed kit."""
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    transition(kit, S.IN_USE, by=by, participant=kit.participant)
    return kit


@transaction.atomic
def complete_kit(kit: Kit, *, by: User) -> Kit:
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    transition(kit, S.COMPLETED, by=by, participant=kit.participant)
    return kit


@transaction.atomic
def expire_kits(*, today: date | None = None, by: User | None = None) -> int:
    """Nightly: kits past their expiry date leave the stock (depot and sites)."""
    today = today or paris_today(timezone.now())
    kits = list(
        Kit.objects.select_for_update(skip_locked=True)
        .filter(status__in=[S.AT_DEPOT, S.AVAILABLE], expiry__lt=today)
        .order_by("code")
    )
    sites = set()
    for kit in kits:
        transition(kit, S.EXPIRED, by=by, reason="expiry date passed")
        if kit.site_id:
            sites.add(kit.site_id)
    for site in Site.objects.filter(pk__in=sites):
        check_resupply(site, by=by)
    if kits:
        record("randomization.kits_expired", by=by, data={"kits": len(kits)})
    return len(kits)
