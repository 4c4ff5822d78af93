"""Allocation list, allocations, kits and their log, shipments, unblinding (randomization.md).

The treatment arm exists in two columns only, ``Slot.arm_token`` and ``Kit.arm_token``,
both Fernet tokens under a key kept outside the database. Nothing but
``randomization.arm_access`` decrypts them; neither column is tracked by pghistory.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from platinium.lib.study_time import paris_today

if TYPE_CHECKING:
    from accounts.types import Visitor

# The pharmacy's warning horizon for available kits (issue #11).
EXPIRY_WARNING_DAYS = 30


class AllocationList(models.Model):
    """One imported allocation list file (the rows are ``Slot``)."""

    list_version = models.CharField(_("list version"), max_length=20, unique=True)
    env = models.CharField(_("environment"), max_length=5)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    strata = models.CharField(_("strata"), max_length=200)
    slot_count = models.PositiveIntegerField(_("slots"))
    # Which product each arm code is, from the list's header ({"A": "interferon gamma-1b",
    # "B": "placebo"}): what an emergency unblinding names. It reveals nothing without a
    # slot's arm, which stays encrypted. Empty for lists loaded before it was recorded.
    products = models.JSONField(_("products"), default=dict, blank=True)
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("loaded by"),
    )

    class Meta:
        ordering = ["-loaded_at"]
        verbose_name = _("allocation list")
        verbose_name_plural = _("allocation lists")
        triggers = [
            pgtrigger.Protect(
                name="list_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.env} v{self.list_version}"


class Stratum(models.Model):
    """One stratum per site. Its row is the lock that serialises "next slot" (randomization.md)."""

    site = models.OneToOneField(
        "sites.Site", on_delete=models.PROTECT, related_name="stratum", verbose_name=_("site")
    )
    code = models.CharField(_("stratum"), max_length=2, unique=True)
    allocation_list = models.ForeignKey(
        AllocationList,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("active allocation list"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("stratum")
        verbose_name_plural = _("strata")

    def __str__(self) -> str:
        return self.code


class Slot(models.Model):
    """One row of an allocation list. Immutable once loaded (trigger)."""

    allocation_list = models.ForeignKey(
        AllocationList, on_delete=models.PROTECT, related_name="slots"
    )
    stratum = models.ForeignKey(Stratum, on_delete=models.PROTECT, related_name="slots")
    seq = models.PositiveIntegerField(_("sequence"))
    block_id = models.CharField(max_length=20)
    block_size = models.PositiveSmallIntegerField()
    arm_token = models.TextField()
    rand_no = models.CharField(_("randomization number"), max_length=32)

    class Meta:
        ordering = ["stratum__code", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["allocation_list", "stratum", "seq"], name="slot_unique_seq"
            ),
            models.UniqueConstraint(
                fields=["allocation_list", "rand_no"], name="slot_unique_rand_no"
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="slot_immutable", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self) -> str:
        return self.rand_no


class AllocationQuerySet(models.QuerySet["Allocation"]):
    def visible_to(self, user: Visitor) -> AllocationQuerySet:
        return self.filter(site_filter(user, Capability.VIEW_PARTICIPANTS)).filter(
            site_filter(user, Capability.SEE_KIT_NUMBERS)
        )


@pghistory.track()
class Allocation(models.Model):
    """A participant's slot. One per participant, one per slot, never re-assigned."""

    participant = models.OneToOneField(
        "participants.Participant",
        on_delete=models.PROTECT,
        related_name="allocation",
        verbose_name=_("participant"),
    )
    slot = models.OneToOneField(Slot, on_delete=models.PROTECT, related_name="allocation")
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    randomized_at = models.DateTimeField(_("randomized at"))
    randomized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("randomized by"),
    )
    idempotency_key = models.CharField(max_length=64, unique=True)
    # Intention to treat: a participant randomized in error keeps arm and slot, with a flag.
    error_flag = models.BooleanField(_("randomized in error"), default=False)
    error_flag_reason = models.TextField(_("reason"), blank=True)

    objects = AllocationQuerySet.as_manager()

    class Meta:
        ordering = ["-randomized_at"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        triggers = [
            pgtrigger.Protect(name="allocation_not_deleted", operation=pgtrigger.Delete),
            # randomization.md: no re-randomization, a slot's participant never changes.
            pgtrigger.Protect(
                name="allocation_slot_fixed",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange("participant", "slot", "site", "randomized_at"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id}"

    def audit_site_code(self) -> str:
        return self.site.code

    @property
    def rand_no(self) -> str:
        return self.slot.rand_no


class KitList(models.Model):
    """One imported kit list file."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    kit_count = models.PositiveIntegerField(_("kits"))
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("loaded by"),
    )

    class Meta:
        ordering = ["-loaded_at"]
        verbose_name = _("kit list")
        verbose_name_plural = _("kit lists")

    def __str__(self) -> str:
        return self.filename or self.sha256[:12]


class ShipmentQuerySet(models.QuerySet["Shipment"]):
    def visible_to(self, user: Visitor) -> ShipmentQuerySet:
        return self.filter(site_filter(user, Capability.VIEW_KIT_ACCOUNTABILITY))

    def to_receive(self) -> ShipmentQuerySet:
        """Sent by the depot and not received yet at the site."""
        return self.filter(status=Shipment.Status.IN_TRANSIT)


@pghistory.track()
class Shipment(models.Model):
    """Kits sent from the central depot to one site; always the same number per arm."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")
        QUARANTINED = "quarantined", _("Quarantined")
        RELEASED = "released", _("Released from quarantine")
        REJECTED = "rejected", _("Rejected (to destroy)")

    class Reason(models.TextChoices):
        ACTIVATION = "activation", _("Site activation")
        RESUPPLY = "resupply", _("Resupply")

    class Temperature(models.TextChoices):
        NOT_RECORDED = "", _("Not recorded")
        OK = "ok", _("Logger OK")
        ALARM = "alarm", _("Logger alarm")

    number = models.CharField(_("shipment number"), max_length=20, unique=True)
    site = models.ForeignKey(
        "sites.Site", on_delete=models.PROTECT, related_name="shipments", verbose_name=_("site")
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    kits_per_arm = models.PositiveSmallIntegerField(_("kits per arm"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received by"),
    )
    temperature = models.CharField(
        _("temperature logger"), max_length=5, choices=Temperature.choices, blank=True, default=""
    )
    temperature_note = models.TextField(_("temperature note"), blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-number"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kits_per_arm__gte=1), name="shipment_kits_per_arm_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def kit_total(self) -> int:
        from randomization import parameters as p

        return self.kits_per_arm * len(p.ARMS)


class KitQuerySet(models.QuerySet["Kit"]):
    def visible_to(self, user: Visitor) -> KitQuerySet:
        return self.filter(site_filter(user, Capability.SEE_KIT_NUMBERS))

    def at_site(self, site: Any) -> KitQuerySet:
        return self.filter(site=site)

    def to_dispense(self) -> KitQuerySet:
        """Allocated to a randomized participant, not dispensed yet."""
        return self.filter(status=Kit.Status.ALLOCATED)

    def expiring(self, *, within_days: int = EXPIRY_WARNING_DAYS) -> KitQuerySet:
        """Available kits whose expiry falls in the next `within_days` days (Paris dates)."""
        today = paris_today(timezone.now())
        return self.filter(
            status=Kit.Status.AVAILABLE,
            expiry__gte=today,
            expiry__lte=today + timedelta(days=within_days),
        )


@pghistory.track(exclude=["arm_token"], model_name="KitHistory")
class Kit(models.Model):
    """A blinded treatment kit; ``status`` changes only through ``kits.transition``."""

    class Status(models.TextChoices):
        MANUFACTURED = "manufactured", _("Manufactured")
        AT_DEPOT = "at_depot", _("At depot")
        IN_TRANSIT = "in_transit", _("In transit")
        RECEIVED = "received", _("Received")
        AVAILABLE = "available", _("Available")
        ALLOCATED = "allocated", _("Allocated")
        DISPENSED = "dispensed", _("Dispensed")
        IN_USE = "in_use", _("In use")
        COMPLETED = "completed", _("Completed")
        RETURNED = "returned", _("Returned")
        PENDING_DESTRUCTION = "pending_destruction", _("Pending destruction")
        DESTROYED = "destroyed", _("Destroyed")
        DAMAGED = "damaged", _("Damaged")
        LOST = "lost", _("Lost")
        EXPIRED = "expired", _("Expired")
        QUARANTINED = "quarantined", _("Quarantined")

    # The audit page must never show the arm token (it differs between arms only by IV,
    # but blinded pages show no token at all).
    AUDIT_HIDDEN_FIELDS = ("arm_token",)

    code = models.CharField(_("kit code"), max_length=7, unique=True)
    arm_token = models.TextField()
    lot = models.CharField(_("lot"), max_length=40)
    expiry = models.DateField(_("expiry"))
    kit_list = models.ForeignKey(KitList, on_delete=models.PROTECT, related_name="kits")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.AT_DEPOT
    )
    site = models.ForeignKey(
        "sites.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kits",
        verbose_name=_("site"),
    )
    shipment = models.ForeignKey(
        Shipment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kits",
        verbose_name=_("shipment"),
    )
    participant = models.ForeignKey(
        "participants.Participant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kits",
        verbose_name=_("participant"),
    )
    allocated_at = models.DateTimeField(_("allocated at"), null=True, blank=True)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        verbose_name=_("replaces kit"),
    )

    objects = KitQuerySet.as_manager()

    class Meta:
        # randomization.md: lists ordered by code, never by primary key.
        ordering = ["code"]
        verbose_name = _("kit")
        verbose_name_plural = _("kits")
        indexes = [models.Index(fields=["site", "status", "expiry"], name="kit_stock_idx")]
        triggers = [pgtrigger.Protect(name="kit_not_deleted", operation=pgtrigger.Delete)]

    def __str__(self) -> str:
        return self.code


class KitEventQuerySet(models.QuerySet["KitEvent"]):
    def visible_to(self, user: Visitor) -> KitEventQuerySet:
        return self.filter(site_filter(user, Capability.VIEW_KIT_ACCOUNTABILITY))


class KitEvent(models.Model):
    """Append-only log of every kit status change (drug accountability)."""

    kit = models.ForeignKey(Kit, on_delete=models.PROTECT, related_name="log")
    from_status = models.CharField(max_length=20, choices=Kit.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Kit.Status.choices)
    occurred_at = models.DateTimeField(_("when (UTC)"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    site = models.ForeignKey(
        "sites.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    participant = models.ForeignKey(
        "participants.Participant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = KitEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("kit event")
        verbose_name_plural = _("kit events")
        triggers = [
            pgtrigger.Protect(
                name="kit_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.kit_id}: {self.from_status} → {self.to_status}"


class EmergencyUnblindingQuerySet(models.QuerySet["EmergencyUnblinding"]):
    def visible_to(self, user: Visitor) -> EmergencyUnblindingQuerySet:
        return self.filter(site_filter(user, Capability.VIEW_UNBLINDING_LOG))


class EmergencyUnblinding(models.Model):
    """An investigator's emergency unblinding of one participant. Holds no arm."""

    participant = models.ForeignKey(
        "participants.Participant",
        on_delete=models.PROTECT,
        related_name="unblindings",
        verbose_name=_("participant"),
    )
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    unblinded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unblinded by"),
    )
    unblinded_at = models.DateTimeField(_("unblinded at"), default=timezone.now)
    reason = models.TextField(_("reason"))
    # The arm is shown once: set when arm_access hands it out, never again.
    arm_shown_at = models.DateTimeField(null=True, blank=True)

    objects = EmergencyUnblindingQuerySet.as_manager()

    class Meta:
        ordering = ["-unblinded_at"]
        verbose_name = _("emergency unblinding")
        verbose_name_plural = _("emergency unblindings")
        triggers = [
            pgtrigger.Protect(name="unblinding_not_deleted", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="unblinding_frozen",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(
                    "participant", "site", "unblinded_by", "unblinded_at", "reason"
                ),
            ),
            pgtrigger.Protect(
                name="unblinding_arm_shown_once",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__arm_shown_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.unblinded_at:%Y-%m-%d}"


class UnblindingAuthorisation(models.Model):
    """The sponsor's recorded authorisation to unblind the statistician (roles.md C2)."""

    authorised_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(max_length=200)
    reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("unblinding authorisation")
        triggers = [
            pgtrigger.Protect(
                name="unblinding_auth_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return self.reference


class Notification(models.Model):
    """Outbox: written in the transaction of the action, sent by a Celery task after commit.

    Never holds an arm; the e-mail text is rendered from ids at send time.
    """

    class Kind(models.TextChoices):
        RANDOMIZATION = "randomization", _("Randomization confirmation")
        UNBLINDING = "unblinding", _("Emergency unblinding")
        NO_KIT = "no_kit", _("No kit available")
        RESUPPLY = "resupply", _("Resupply request")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    recipients = models.JSONField(default=list)
    site = models.ForeignKey(
        "sites.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    participant = models.ForeignKey(
        "participants.Participant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    allocation = models.ForeignKey(
        Allocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unblinding = models.ForeignKey(
        EmergencyUnblinding, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set once the data managers were told it stayed unsent (crf.services.outbox).
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
