"""Protocol actions of randomization, kits and emergency unblinding (randomization.md).

Every function is one action: one transaction, its audit event, side effects after
commit. None of them returns or logs an arm, except ``unblind_emergency`` which hands
the arm of one participant to the investigator who asked (through ``arm_access``).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.reauth import reauthenticate
from accounts.roles import Capability
from audit.services import record
from participants import locks
from participants.models import Participant
from participants.services import change_participant_status
from randomization import allocation_list, arm_access, kit_codes
from randomization import parameters as p
from randomization.kits import IllegalTransition, transition
from randomization.messages import Message
from randomization.models import (
    Allocation,
    AllocationList,
    EmergencyUnblinding,
    Kit,
    KitEvent,
    KitList,
    Notification,
    Shipment,
    Slot,
    Stratum,
    UnblindingAuthorisation,
)
from sites.models import Site

logger = logging.getLogger(__name__)

S = Kit.Status
NO_KIT_MESSAGE = "No kit can be assigned; the central pharmacy has been alerted."


class RandomizationRefused(Exception):
    """The participant cannot be randomized now; ``messages`` say why (translated)."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


class AlreadyRandomized(RandomizationRefused):
    def __init__(self, allocation: Allocation) -> None:
        self.allocation = allocation
        super().__init__([gettext("This participant has already been randomized.")])


class NoKitAvailable(RandomizationRefused):
    """Generic on purpose: the message never says which arm ran short."""

    def __init__(self) -> None:
        super().__init__([gettext(NO_KIT_MESSAGE)])


class ImportRefused(Exception):
    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


class KitRefused(Exception):
    """A scanned kit cannot be used for this action; nothing was written."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class SupplyShortage(Exception):
    pass


def translate(message: Message) -> str:
    return gettext(message.msgid) % message.params


def paris_today() -> date:
    return timezone.localdate()


def min_usable_expiry(today: date | None = None) -> date:
    """A kit must last the whole treatment period to be allocated or shipped."""
    return (today or paris_today()) + timedelta(days=p.KIT_MIN_SHELF_LIFE_DAYS)


def central_pharmacy_email() -> str:
    return getattr(settings, "PLATINIUM_CENTRAL_PHARMACY_EMAIL", "") or (
        settings.PLATINIUM_TRIAL_MANAGER_EMAIL
    )


def _notify(kind: str, recipients: list[str], **links: Any) -> Notification:
    from randomization.tasks import send_notification_task

    missing = sum(1 for r in recipients if not r)
    if missing:
        # A site without a pharmacy or investigator address must be noticed, not skipped.
        site = links.get("site")
        logger.error(
            "%s notification: %d of %d recipient address(es) missing (site %s); "
            "fill in the site's e-mail addresses",
            kind,
            missing,
            len(recipients),
            getattr(site, "code", "-"),
        )
    notification = Notification.objects.create(
        kind=kind, recipients=[r for r in recipients if r], **links
    )
    transaction.on_commit(lambda: send_notification_task.delay(notification.pk))
    return notification


# ---------------------------------------------------------------------------- lists


def _require_list_manager(by: Any) -> None:
    if not has_capability(by, Capability.LOAD_ALLOCATION_LIST):
        raise PermissionDenied


def _check_sha(raw_bytes: bytes, declared: str) -> list[str]:
    declared_hash = allocation_list.parse_sha256_declaration(declared)
    if len(declared_hash) != 64:
        return [translate(Message(allocation_list.MSG_SHA_MALFORMED, {}))]
    actual = allocation_list.sha256_hex(raw_bytes)
    if actual != declared_hash:
        return [
            translate(
                Message(
                    allocation_list.MSG_SHA_MISMATCH, {"actual": actual, "declared": declared_hash}
                )
            )
        ]
    return []


@transaction.atomic
def import_allocation_list(
    raw_bytes: bytes, *, by: Any, declared_sha256: str, filename: str = ""
) -> AllocationList:
    """Load a checked allocation list; refuse everything randomization.md lists.

    The new list becomes the active list of its strata.
    """
    _require_list_manager(by)
    # Serialise imports: two uploads of the same version cannot both pass the check.
    AllocationList.objects.select_for_update().exists()
    existing = set(AllocationList.objects.values_list("list_version", flat=True))
    parsed, problems = allocation_list.check_upload(
        raw_bytes,
        expected_env=settings.PLATINIUM_ENV,
        declared_sha256=declared_sha256,
        existing_versions=existing,
    )
    messages = [translate(m) for m in problems]
    sha = allocation_list.sha256_hex(raw_bytes)
    if not messages and AllocationList.objects.filter(sha256=sha).exists():
        messages.append(gettext("This file has already been loaded."))
    sites = {site.code: site for site in Site.objects.all()}
    if parsed is not None and not messages:
        missing = [code for code in parsed.strata if code not in sites]
        if missing:
            messages.append(
                gettext("No site exists for strata %(codes)s.") % {"codes": ", ".join(missing)}
            )
    if messages or parsed is None:
        raise ImportRefused(messages)
    alist = AllocationList.objects.create(
        list_version=parsed.list_version,
        env=parsed.env,
        sha256=sha,
        filename=filename[:200],
        strata=",".join(parsed.strata),
        slot_count=len(parsed.rows),
        loaded_by=by,
    )
    strata = {}
    for code in parsed.strata:
        stratum, _ = Stratum.objects.select_for_update().update_or_create(
            site=sites[code], defaults={"code": code, "allocation_list": alist}
        )
        strata[code] = stratum
    tokens = arm_access.seal_many(row.arm for row in parsed.rows)
    Slot.objects.bulk_create(
        (
            Slot(
                allocation_list=alist,
                stratum=strata[row.stratum_code],
                seq=row.seq,
                block_id=row.block_id,
                block_size=row.block_size,
                arm_token=token,
                rand_no=row.rand_no,
            )
            for row, token in zip(parsed.rows, tokens, strict=True)
        ),
        batch_size=2000,
    )
    record(
        "randomization.allocation_list_loaded",
        target=alist,
        by=by,
        data={
            "list_version": alist.list_version,
            "env": alist.env,
            "sha256": sha,
            "slots": alist.slot_count,
            "strata": alist.strata,
        },
    )
    return alist


@transaction.atomic
def import_kit_list(
    raw_bytes: bytes, *, by: Any, declared_sha256: str, filename: str = ""
) -> KitList:
    """Load a kit list (kit code, arm, blinded lot, expiry): kits arrive AT_DEPOT."""
    _require_list_manager(by)
    KitList.objects.select_for_update().exists()
    messages = _check_sha(raw_bytes, declared_sha256)
    sha = allocation_list.sha256_hex(raw_bytes)
    if KitList.objects.filter(sha256=sha).exists():
        messages.append(gettext("This file has already been loaded."))
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused([*messages, gettext("The file is not valid UTF-8 text.")]) from None
    existing = set(Kit.objects.values_list("code", flat=True))
    parsed = kit_codes.parse_kit_list(text, today=paris_today(), existing=existing)
    messages += [translate(m) for m in parsed.errors]
    if messages:
        raise ImportRefused(messages)
    kit_list = KitList.objects.create(
        sha256=sha, filename=filename[:200], kit_count=len(parsed.rows), loaded_by=by
    )
    tokens = arm_access.seal_many(row.arm for row in parsed.rows)
    kits = Kit.objects.bulk_create(
        (
            Kit(
                code=row.kit_code,
                arm_token=token,
                lot=row.lot,
                expiry=row.expiry,
                kit_list=kit_list,
                status=S.AT_DEPOT,
            )
            for row, token in zip(parsed.rows, tokens, strict=True)
        ),
        batch_size=2000,
    )
    KitEvent.objects.bulk_create(
        (
            KitEvent(
                kit=kit,
                from_status=S.MANUFACTURED,
                to_status=S.AT_DEPOT,
                by=by,
                reason="kit list import",
            )
            for kit in kits
        ),
        batch_size=2000,
    )
    record(
        "randomization.kit_list_loaded",
        target=kit_list,
        by=by,
        data={"sha256": sha, "kits": len(kits)},
    )
    return kit_list


# -------------------------------------------------------------------- randomization


def _eligibility_preconditions(participant: Participant) -> list[str]:
    from eligibility.services import randomization_preconditions

    return randomization_preconditions(participant)


def preconditions(participant: Participant, by: Any) -> list[str]:
    problems: list[str] = []
    if not has_capability(by, Capability.RANDOMIZE, participant.site_id):
        problems.append(gettext("You are not allowed to randomize at this site."))
    if not participant.site.is_active:
        problems.append(gettext("The site is not active."))
    if participant.status != Participant.Status.ENROLLED:
        problems.append(gettext("Only an enrolled participant can be randomized."))
    lock = locks.lock_refusing(participant)
    if lock is not None:
        problems.append(locks.lock_message(lock))
    if not problems:
        problems += _eligibility_preconditions(participant)
    return problems


def _choose(candidates: list[Any]) -> Any:
    """Random among the first kits (earliest expiry), so the next kit is not predictable."""
    return secrets.choice(candidates)


def _allocate_kit(site: Site, arm_token: str, *, today: date) -> Kit | None:
    """Lock an AVAILABLE kit of the arm in ``arm_token`` at ``site``.

    The same queries run whatever the arm (arm-symmetric path). The caller holds the
    site's stratum lock; skip_locked still protects against a pharmacy action that
    locked a kit without it.
    """
    rows = (
        Kit.objects.filter(site=site, status=S.AVAILABLE, expiry__gte=min_usable_expiry(today))
        .order_by("expiry", "code")
        .values_list("pk", "arm_token")
    )
    matching = arm_access.kits_matching_slot(arm_token, list(rows))
    skipped: set[Any] = set()
    while True:
        window = []
        for kit_id in matching:
            if kit_id not in skipped:
                window.append(kit_id)
            if len(window) == 3:
                break
        if not window:
            return None
        locked = list(
            Kit.objects.select_for_update(skip_locked=True).filter(
                pk__in=window, status=S.AVAILABLE
            )
        )
        if locked:
            locked.sort(key=lambda k: (k.expiry, k.code))
            return _choose(locked)
        skipped.update(window)


@transaction.atomic
def _randomize_in_transaction(participant_id: int, *, by: Any, idempotency_key: str) -> Allocation:
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("site")
        .get(pk=participant_id)
    )
    existing = Allocation.objects.filter(participant=participant).select_related("slot").first()
    if existing is not None:
        if existing.idempotency_key == idempotency_key:
            return existing  # the same request again (double click, retry): same answer
        raise AlreadyRandomized(existing)
    problems = preconditions(participant, by)
    if problems:
        raise RandomizationRefused(problems)
    site = participant.site
    stratum = Stratum.objects.select_for_update().filter(site=site).first()
    if stratum is None:
        raise RandomizationRefused([gettext("No allocation list is loaded for this site.")])
    slot = (
        Slot.objects.filter(
            allocation_list_id=stratum.allocation_list_id, stratum=stratum, allocation__isnull=True
        )
        .order_by("seq")
        .first()
    )
    if slot is None:
        raise RandomizationRefused([gettext("The allocation list of this site is exhausted.")])
    now = timezone.now()
    kit = _allocate_kit(site, slot.arm_token, today=timezone.localdate(now))
    if kit is None:
        raise NoKitAvailable()
    allocation = Allocation.objects.create(
        participant=participant,
        slot=slot,
        site=site,
        randomized_at=now,
        randomized_by=by,
        idempotency_key=idempotency_key,
    )
    kit.participant, kit.allocated_at = participant, now
    transition(
        kit,
        S.ALLOCATED,
        by=by,
        participant=participant,
        update_fields=("participant", "allocated_at"),
    )
    change_participant_status(
        participant, status=Participant.Status.RANDOMIZED, by=by, reason="randomized"
    )
    record(
        "randomization.randomized",
        target=participant,
        by=by,
        data={"rand_no": slot.rand_no, "kit": kit.code},
    )
    _notify(
        Notification.Kind.RANDOMIZATION,
        [site.pharmacy_email],
        site=site,
        participant=participant,
        allocation=allocation,
    )
    _check_resupply(site, by=by)
    return allocation


def randomize(participant: Participant, *, by: Any, idempotency_key: str) -> Allocation:
    """Allocate the next slot of the site's stratum and a kit of its arm (randomization.md).

    No kit: the whole transaction rolls back (the slot stays free), then an alert is
    written in a transaction of its own and NoKitAvailable carries a generic message.
    """
    try:
        return _randomize_in_transaction(participant.pk, by=by, idempotency_key=idempotency_key)
    except NoKitAvailable:
        _alert_no_kit(participant, by=by)
        raise
    except IntegrityError:
        # A concurrent request with the same participant lost the race on a unique
        # constraint; answer like the lock would have.
        existing = Allocation.objects.filter(participant_id=participant.pk).first()
        if existing is None:
            raise
        if existing.idempotency_key == idempotency_key:
            return existing
        raise AlreadyRandomized(existing) from None


@transaction.atomic
def _alert_no_kit(participant: Participant, *, by: Any) -> None:
    record("randomization.no_kit", target=participant, by=by, data={})
    _notify(
        Notification.Kind.NO_KIT,
        [central_pharmacy_email()],
        site=participant.site,
        participant=participant,
    )


@transaction.atomic
def flag_randomized_in_error(allocation: Allocation, *, by: Any, reason: str) -> Allocation:
    """Intention to treat: keep arm and slot, record the error with its reason."""
    if not reason.strip():
        raise ValueError(gettext("A reason is required."))
    if not has_capability(by, Capability.RANDOMIZE, allocation.site_id):
        raise PermissionDenied
    allocation = Allocation.objects.select_for_update().get(pk=allocation.pk)
    allocation.error_flag, allocation.error_flag_reason = True, reason.strip()
    allocation.save(update_fields=["error_flag", "error_flag_reason"])
    record(
        "randomization.flagged_in_error",
        target=allocation.participant,
        by=by,
        reason=reason.strip(),
    )
    return allocation


# --------------------------------------------------------------------------- supply


def _next_shipment_number(site: Site) -> str:
    count = Shipment.objects.filter(site=site).count() + 1
    return f"SH-{site.code}-{count:04d}"


def _request_shipment(site: Site, *, by: Any, reason: str, per_arm: int) -> Shipment:
    shipment = Shipment.objects.create(
        number=_next_shipment_number(site), site=site, reason=reason, kits_per_arm=per_arm
    )
    record(
        "randomization.shipment_requested",
        target=shipment,
        by=by,
        data={"number": shipment.number, "kits": shipment.kit_total, "reason": reason},
    )
    _notify(Notification.Kind.RESUPPLY, [central_pharmacy_email()], site=site, shipment=shipment)
    return shipment


@transaction.atomic
def request_initial_supply(site: Site, *, by: Any) -> Shipment:
    """Site activation: one shipment of 4 + 4 kits (arm-agnostic resupply)."""
    Site.objects.select_for_update().get(pk=site.pk)
    existing = Shipment.objects.filter(site=site, reason=Shipment.Reason.ACTIVATION).first()
    if existing is not None:
        return existing
    return _request_shipment(
        site, by=by, reason=Shipment.Reason.ACTIVATION, per_arm=p.RESUPPLY_INITIAL_PER_ARM
    )


def stock_level(site: Site) -> int:
    """Available + in transit + requested kits: what the resupply rule compares (no arm)."""
    on_hand = Kit.objects.filter(site=site, status__in=[S.AVAILABLE, S.IN_TRANSIT]).count()
    requested = (
        Shipment.objects.filter(site=site, status=Shipment.Status.REQUESTED).aggregate(
            n=Sum("kits_per_arm")
        )["n"]
        or 0
    )
    return on_hand + requested * len(p.ARMS)


def _check_resupply(site: Site, *, by: Any) -> Shipment | None:
    """Ship 2 + 2 when available + in transit ≤ 6, once the site has been activated."""
    Site.objects.select_for_update().get(pk=site.pk)
    if not Shipment.objects.filter(site=site).exists():
        return None
    if stock_level(site) > p.RESUPPLY_TRIGGER_LEVEL:
        return None
    return _request_shipment(
        site, by=by, reason=Shipment.Reason.RESUPPLY, per_arm=p.RESUPPLY_REORDER_PER_ARM
    )


@transaction.atomic
def dispatch_shipment(shipment: Shipment, *, by: Any) -> Shipment:
    """Central depot: fill a requested shipment with the same number of kits per arm."""
    shipment = Shipment.objects.select_for_update().select_related("site").get(pk=shipment.pk)
    if shipment.status != Shipment.Status.REQUESTED:
        raise SupplyShortage(gettext("This shipment has already been dispatched."))
    rows = (
        Kit.objects.select_for_update(skip_locked=True)
        .filter(status=S.AT_DEPOT, site__isnull=True, expiry__gte=min_usable_expiry())
        .order_by("expiry", "code")
        .values_list("pk", "arm_token")
    )
    chosen = arm_access.balanced_selection(rows, shipment.kits_per_arm)
    if chosen is None:
        raise SupplyShortage(gettext("The depot does not hold enough kits for this shipment."))
    now = timezone.now()
    for kit in Kit.objects.filter(pk__in=chosen).order_by("code"):
        kit.site, kit.shipment = shipment.site, shipment
        transition(kit, S.IN_TRANSIT, by=by, shipment=shipment, update_fields=("site", "shipment"))
    shipment.status, shipment.dispatched_at = Shipment.Status.IN_TRANSIT, now
    shipment.save(update_fields=["status", "dispatched_at"])
    record(
        "randomization.shipment_dispatched",
        target=shipment,
        by=by,
        data={"number": shipment.number, "kits": len(chosen)},
    )
    return shipment


def _require_kit_manager(by: Any, site_id: int) -> None:
    if not has_capability(by, Capability.MANAGE_KITS, site_id):
        raise PermissionDenied


def _scan(scanned_code: str, *, site_id: int, lock: bool = True) -> Kit:
    """The kit behind a scanned code (locked); refuses invalid, unknown and foreign codes."""
    code = kit_codes.normalise(scanned_code)
    if not kit_codes.is_valid(code):
        raise KitRefused(
            gettext("%(code)s is not a valid kit code; scan it again.") % {"code": code[:20]}
        )
    kits = Kit.objects.select_for_update() if lock else Kit.objects.all()
    kit = kits.filter(code=code).first()
    if kit is None:
        raise KitRefused(gettext("Kit %(code)s is unknown.") % {"code": code})
    if kit.site_id != site_id:
        raise KitRefused(gettext("Kit %(code)s does not belong to this site.") % {"code": code})
    return kit


def scanned_kit(scanned_code: str, *, site: Site) -> Kit:
    """Look a scanned code up at ``site`` (no lock: the action that follows locks it)."""
    return _scan(scanned_code, site_id=site.pk, lock=False)


@transaction.atomic
def receive_kit(shipment: Shipment, *, by: Any, scanned_code: str) -> Kit:
    """Scan one kit of a delivery against the shipment manifest."""
    _require_kit_manager(by, shipment.site_id)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.status != Shipment.Status.IN_TRANSIT:
        raise KitRefused(gettext("This shipment is not awaiting receipt."))
    kit = _scan(scanned_code, site_id=shipment.site_id)
    if kit.shipment_id != shipment.pk:
        raise KitRefused(
            gettext("Kit %(code)s is not on this shipment's manifest.") % {"code": kit.code}
        )
    if kit.status != S.IN_TRANSIT:
        raise KitRefused(gettext("Kit %(code)s has already been scanned.") % {"code": kit.code})
    transition(kit, S.RECEIVED, by=by, shipment=shipment)
    return kit


@transaction.atomic
def close_receipt(shipment: Shipment, *, by: Any, temperature: str, note: str = "") -> Shipment:
    """Finish a receipt. A logger alarm quarantines the whole shipment (both arms)."""
    _require_kit_manager(by, shipment.site_id)
    shipment = Shipment.objects.select_for_update().select_related("site").get(pk=shipment.pk)
    if shipment.status != Shipment.Status.IN_TRANSIT:
        raise KitRefused(gettext("This shipment is not awaiting receipt."))
    if temperature not in (Shipment.Temperature.OK, Shipment.Temperature.ALARM):
        raise KitRefused(gettext("Record the temperature logger status."))
    kits = list(
        Kit.objects.select_for_update().filter(
            shipment=shipment, status__in=[S.IN_TRANSIT, S.RECEIVED]
        )
    )
    if temperature == Shipment.Temperature.ALARM:
        for kit in kits:
            transition(
                kit, S.QUARANTINED, by=by, shipment=shipment, reason="temperature logger alarm"
            )
        shipment.status = Shipment.Status.QUARANTINED
    else:
        for kit in kits:
            if kit.status == S.RECEIVED:
                transition(kit, S.AVAILABLE, by=by, shipment=shipment)
            else:
                transition(
                    kit, S.LOST, by=by, shipment=shipment, reason="not found in the delivery"
                )
        shipment.status = Shipment.Status.RECEIVED
    shipment.temperature, shipment.temperature_note = temperature, note.strip()
    shipment.received_at, shipment.received_by = timezone.now(), by
    shipment.save(
        update_fields=["status", "temperature", "temperature_note", "received_at", "received_by"]
    )
    record(
        "randomization.shipment_received",
        target=shipment,
        by=by,
        data={"number": shipment.number, "temperature": temperature, "kits": len(kits)},
        reason=note.strip(),
    )
    _check_resupply(shipment.site, by=by)
    return shipment


@transaction.atomic
def decide_quarantine(shipment: Shipment, *, by: Any, release: bool, reason: str) -> Shipment:
    """Release or reject a quarantined shipment: the decision covers every kit of it."""
    _require_kit_manager(by, shipment.site_id)
    if not reason.strip():
        raise KitRefused(gettext("A reason is required."))
    shipment = Shipment.objects.select_for_update().select_related("site").get(pk=shipment.pk)
    if shipment.status != Shipment.Status.QUARANTINED:
        raise KitRefused(gettext("This shipment is not in quarantine."))
    target = S.AVAILABLE if release else S.PENDING_DESTRUCTION
    for kit in Kit.objects.select_for_update().filter(shipment=shipment, status=S.QUARANTINED):
        transition(kit, target, by=by, shipment=shipment, reason=reason.strip())
    shipment.status = Shipment.Status.RELEASED if release else Shipment.Status.REJECTED
    shipment.decision_reason = reason.strip()
    shipment.save(update_fields=["status", "decision_reason"])
    record(
        "randomization.quarantine_decided",
        target=shipment,
        by=by,
        data={"number": shipment.number, "released": release},
        reason=reason.strip(),
    )
    _check_resupply(shipment.site, by=by)
    return shipment


@transaction.atomic
def dispense_kit(participant: Participant, *, by: Any, scanned_code: str) -> Kit:
    """Dispense by scanning: only the kit allocated to this participant passes."""
    _require_kit_manager(by, participant.site_id)
    kit = _scan(scanned_code, site_id=participant.site_id)
    if kit.status == S.QUARANTINED:
        raise KitRefused(gettext("Kit %(code)s is quarantined.") % {"code": kit.code})
    if kit.status == S.EXPIRED or kit.expiry < paris_today():
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
    kit: Kit, *, by: Any, lost: bool, doses_remaining: bool, reason: str
) -> IncidentResult:
    """A damaged or lost kit; with doses remaining its participant gets a kit of the
    same arm, chosen by the server (the pharmacist only sees codes)."""
    try:
        return _report_kit_incident(
            kit, by=by, lost=lost, doses_remaining=doses_remaining, reason=reason
        )
    except NoKitAvailable:
        if kit.participant_id:
            _alert_no_kit(kit.participant, by=by)
        raise


@transaction.atomic
def _report_kit_incident(
    kit: Kit, *, by: Any, lost: bool, doses_remaining: bool, reason: str
) -> IncidentResult:
    if kit.site_id is None:
        raise PermissionDenied
    _require_kit_manager(by, kit.site_id)
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
        replacement = _allocate_kit(site, kit.arm_token, today=paris_today())
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
    _check_resupply(site, by=by)
    return IncidentResult(kit=kit, replacement=replacement)


@transaction.atomic
def return_kit(kit: Kit, *, by: Any, reason: str = "") -> Kit:
    """A dispensed kit comes back to the pharmacy (accountability)."""
    if kit.site_id is None:
        raise PermissionDenied
    _require_kit_manager(by, kit.site_id)
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    try:
        transition(kit, S.RETURNED, by=by, participant=kit.participant, reason=reason.strip())
    except IllegalTransition:
        raise KitRefused(
            gettext("Kit %(code)s cannot be returned now.") % {"code": kit.code}
        ) from None
    return kit


@transaction.atomic
def send_to_destruction(kit: Kit, *, by: Any, reason: str = "") -> Kit:
    if kit.site_id is None:
        raise PermissionDenied
    _require_kit_manager(by, kit.site_id)
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    try:
        transition(kit, S.PENDING_DESTRUCTION, by=by, reason=reason.strip())
    except IllegalTransition:
        raise KitRefused(
            gettext("Kit %(code)s cannot be sent to destruction now.") % {"code": kit.code}
        ) from None
    return kit


@transaction.atomic
def destroy_kit(kit: Kit, *, by: Any, reason: str = "") -> Kit:
    if kit.site_id is None:
        raise PermissionDenied
    _require_kit_manager(by, kit.site_id)
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    try:
        transition(kit, S.DESTROYED, by=by, reason=reason.strip())
    except IllegalTransition:
        raise KitRefused(
            gettext("Kit %(code)s is not pending destruction.") % {"code": kit.code}
        ) from None
    record("randomization.kit_destroyed", target=kit, by=by, data={"kit": kit.code})
    return kit


@transaction.atomic
def start_kit_use(kit: Kit, *, by: Any) -> Kit:
    """First injection given from a dispensed kit."""
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    transition(kit, S.IN_USE, by=by, participant=kit.participant)
    return kit


@transaction.atomic
def complete_kit(kit: Kit, *, by: Any) -> Kit:
    kit = Kit.objects.select_for_update().get(pk=kit.pk)
    transition(kit, S.COMPLETED, by=by, participant=kit.participant)
    return kit


@transaction.atomic
def expire_kits(*, today: date | None = None, by: Any = None) -> int:
    """Nightly: kits past their expiry date leave the stock (depot and sites)."""
    today = today or paris_today()
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
        _check_resupply(site, by=by)
    if kits:
        record("randomization.kits_expired", by=by, data={"kits": len(kits)})
    return len(kits)


# ------------------------------------------------------------------------ unblinding


@dataclass
class UnblindingResult:
    unblinding: EmergencyUnblinding
    arm: str
    product: str


def unblind_emergency(
    participant: Participant,
    *,
    by: Any,
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
def _unblind_emergency(participant: Participant, *, by: Any, reason: str) -> UnblindingResult:
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
    _notify(
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
    return UnblindingResult(unblinding=unblinding, arm=arm, product=arm_access.product_label(arm))


@transaction.atomic
def record_unblinding_authorisation(
    *, by: Any, reference: str, reason: str = ""
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


# ----------------------------------------------------------------------- notifications


@transaction.atomic
def send_notification(notification: Notification) -> Notification:
    """Send one outbox e-mail (after commit, from a Celery task); at most once."""
    from randomization.notifications import build_email

    notification = Notification.objects.select_for_update().get(pk=notification.pk)
    if notification.sent_at is not None:
        return notification
    if not notification.recipients:
        # Nothing was sent: it stays unsent (visible), never marked as sent to nobody.
        logger.error(
            "notification %s (%s) has no recipient: not sent", notification.pk, notification.kind
        )
        return notification
    build_email(notification).send()
    notification.sent_at = timezone.now()
    notification.save(update_fields=["sent_at"])
    return notification
