"""Site stock and shipments: initial supply, resupply, depot dispatch, receipt, quarantine.

The resupply rule counts kits without their arm (arm-agnostic, randomization.md).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import User
from audit.services import record
from platinium.lib.study_time import paris_today
from randomization import arm_access
from randomization import parameters as p
from randomization.kits import transition
from randomization.models import Kit, Notification, Shipment
from randomization.services.outbox import central_pharmacy_email, notify
from randomization.services.scanning import KitRefused, require_kit_manager, scan
from sites.models import Site

S = Kit.Status


class SupplyShortage(Exception):
    pass


def min_usable_expiry(today: date | None = None) -> date:
    """A kit must last the whole treatment period to be allocated or shipped."""
    return (today or paris_today(timezone.now())) + timedelta(days=p.KIT_MIN_SHELF_LIFE_DAYS)


def _next_shipment_number(site: Site) -> str:
    count = Shipment.objects.filter(site=site).count() + 1
    return f"SH-{site.code}-{count:04d}"


def _request_shipment(site: Site, *, by: User | None, reason: str, per_arm: int) -> Shipment:
    shipment = Shipment.objects.create(
        number=_next_shipment_number(site), site=site, reason=reason, kits_per_arm=per_arm
    )
    record(
        "randomization.shipment_requested",
        target=shipment,
        by=by,
        data={"number": shipment.number, "kits": shipment.kit_total, "reason": reason},
    )
    notify(Notification.Kind.RESUPPLY, [central_pharmacy_email()], site=site, shipment=shipment)
    return shipment


@transaction.atomic
def request_initial_supply(site: Site, *, by: User) -> Shipment:
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


def check_resupply(site: Site, *, by: User | None) -> Shipment | None:
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
def dispatch_shipment(shipment: Shipment, *, by: User) -> Shipment:
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


@transaction.atomic
def receive_kit(shipment: Shipment, *, by: User, scanned_code: str) -> Kit:
    """Scan one kit of a delivery against the shipment manifest."""
    require_kit_manager(by, shipment.site_id)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.status != Shipment.Status.IN_TRANSIT:
        raise KitRefused(gettext("This shipment is not awaiting receipt."))
    kit = scan(scanned_code, site_id=shipment.site_id)
    if kit.shipment_id != shipment.pk:
        raise KitRefused(
            gettext("Kit %(code)s is not on this shipment's manifest.") % {"code": kit.code}
        )
    if kit.status != S.IN_TRANSIT:
        raise KitRefused(gettext("Kit %(code)s has already been scanned.") % {"code": kit.code})
    transition(kit, S.RECEIVED, by=by, shipment=shipment)
    return kit


class UnscannedKits(KitRefused):
    """Closing with the logger OK would record kits never scanned as lost: the pharmacist
    confirms it first (issue #11). Nothing was written."""

    def __init__(self, codes: list[str]) -> None:
        self.codes = codes
        super().__init__(
            ngettext(
                "%(n)d kit was not scanned: confirm that it is missing from the delivery.",
                "%(n)d kits were not scanned: confirm that they are missing from the delivery.",
                len(codes),
            )
            % {"n": len(codes)}
        )


@transaction.atomic
def close_receipt(
    shipment: Shipment,
    *,
    by: User,
    temperature: str,
    note: str = "",
    missing_confirmed: bool = False,
) -> Shipment:
    """Finish a receipt. A logger alarm quarantines the whole shipment (both arms); with the
    logger OK the kits not scanned are recorded as lost, once `missing_confirmed`."""
    require_kit_manager(by, shipment.site_id)
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
    unscanned = sorted(kit.code for kit in kits if kit.status == S.IN_TRANSIT)
    if temperature == Shipment.Temperature.OK and unscanned and not missing_confirmed:
        raise UnscannedKits(unscanned)
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
        data={
            "number": shipment.number,
            "temperature": temperature,
            "kits": len(kits),
            "not_scanned": len(unscanned),
        },
        reason=note.strip(),
    )
    check_resupply(shipment.site, by=by)
    return shipment


@transaction.atomic
def decide_quarantine(shipment: Shipment, *, by: User, release: bool, reason: str) -> Shipment:
    """Release or reject a quarantined shipment: the decision covers every kit of it."""
    require_kit_manager(by, shipment.site_id)
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
    check_resupply(shipment.site, by=by)
    return shipment
