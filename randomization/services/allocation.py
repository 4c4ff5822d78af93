"""Randomization of one participant: the next slot of its site's stratum and a kit of its arm.

None of these functions returns or logs an arm (randomization.md, ADR 0005).
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.models import User
from accounts.roles import Capability
from audit.services import record
from participants import locks
from participants.models import Participant
from participants.services import change_participant_status
from platinium.lib.study_time import paris_date
from randomization import arm_access
from randomization.kits import transition
from randomization.models import Allocation, Kit, Notification, Slot, Stratum
from randomization.services.outbox import central_pharmacy_email, notify
from randomization.services.supply import check_resupply, min_usable_expiry
from sites.models import Site

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


def _eligibility_preconditions(participant: Participant) -> list[str]:
    from eligibility.services import randomization_preconditions

    return randomization_preconditions(participant)


def preconditions(participant: Participant, by: User) -> list[str]:
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


def allocate_kit(site: Site, arm_token: str, *, today: date) -> Kit | None:
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
def _randomize_in_transaction(participant_id: int, *, by: User, idempotency_key: str) -> Allocation:
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
    kit = allocate_kit(site, slot.arm_token, today=paris_date(now))
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
    notify(
        Notification.Kind.RANDOMIZATION,
        [site.pharmacy_email],
        site=site,
        participant=participant,
        allocation=allocation,
    )
    check_resupply(site, by=by)
    return allocation


def randomize(participant: Participant, *, by: User, idempotency_key: str) -> Allocation:
    """Allocate the next slot of the site's stratum and a kit of its arm (randomization.md).

    No kit: the whole transaction rolls back (the slot stays free), then an alert is
    written in a transaction of its own and NoKitAvailable carries a generic message.
    """
    try:
        return _randomize_in_transaction(participant.pk, by=by, idempotency_key=idempotency_key)
    except NoKitAvailable:
        alert_no_kit(participant, by=by)
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
def alert_no_kit(participant: Participant, *, by: User) -> None:
    record("randomization.no_kit", target=participant, by=by, data={})
    notify(
        Notification.Kind.NO_KIT,
        [central_pharmacy_email()],
        site=participant.site,
        participant=participant,
    )


@transaction.atomic
def flag_randomized_in_error(allocation: Allocation, *, by: User, reason: str) -> Allocation:
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
