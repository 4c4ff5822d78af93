"""randomize(): one transaction, next slot, a kit of the slot's arm, audit, outbox."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from django.core import mail
from django.db import IntegrityError, InternalError, transaction

from audit.models import AuditEvent
from participants.models import Participant
from randomization import arm_access
from randomization.models import Allocation, Kit, Notification, Slot
from randomization.services import allocation as allocation_services
from tests.randomization.factories import make_kits, make_participant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eligible")]


def key() -> str:
    return uuid.uuid4().hex


def test_it_allocates_the_first_slot_and_a_kit_of_its_arm(
    stock, site11, role_users, django_capture_on_commit_callbacks
):
    participant = make_participant(site11)
    with django_capture_on_commit_callbacks(execute=True):
        allocation = allocation_services.randomize(
            participant, by=role_users["investigator"], idempotency_key=key()
        )
    assert allocation.slot.seq == 1
    kit = Kit.objects.get(participant=participant)
    assert kit.status == Kit.Status.ALLOCATED
    rm = role_users["randomization_manager"]
    assert arm_access.arm_of_kit(kit, user=rm) == arm_access.arm_of_slot(allocation.slot, user=rm)
    participant.refresh_from_db()
    assert participant.status == Participant.Status.RANDOMIZED
    event = AuditEvent.objects.get(action="randomization.randomized")
    assert event.data == {"rand_no": allocation.slot.rand_no, "kit": kit.code}
    # The pharmacy e-mail is checked in test_the_pharmacy_is_emailed_at_its_own_address.


def test_every_kit_matches_its_slots_arm_over_a_sequence(lists, site11, role_users):
    make_kits(site11, 8)
    rm = role_users["randomization_manager"]
    for seq in range(1, 9):
        allocation = allocation_services.randomize(
            make_participant(site11), by=role_users["coordinator"], idempotency_key=key()
        )
        assert allocation.slot.seq == seq
        kit = Kit.objects.get(participant=allocation.participant)
        assert arm_access.arm_of_kit(kit, user=rm) == arm_access.arm_of_slot(
            allocation.slot, user=rm
        )


def test_the_same_idempotency_key_gives_back_the_same_allocation(stock, site11, role_users):
    participant = make_participant(site11)
    k = key()
    first = allocation_services.randomize(
        participant, by=role_users["investigator"], idempotency_key=k
    )
    again = allocation_services.randomize(
        participant, by=role_users["investigator"], idempotency_key=k
    )
    assert again.pk == first.pk
    assert (
        Allocation.objects.count() == 1 and Kit.objects.filter(participant=participant).count() == 1
    )


def test_a_second_randomization_is_refused(stock, site11, role_users):
    participant = make_participant(site11)
    allocation_services.randomize(participant, by=role_users["investigator"], idempotency_key=key())
    with pytest.raises(allocation_services.AlreadyRandomized):
        allocation_services.randomize(
            participant, by=role_users["investigator"], idempotency_key=key()
        )
    assert Allocation.objects.count() == 1


def test_no_kit_rolls_back_keeps_the_slot_free_and_alerts(
    lists, site11, role_users, django_capture_on_commit_callbacks
):
    participant = make_participant(site11)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(allocation_services.NoKitAvailable) as excinfo,
    ):
        allocation_services.randomize(
            participant, by=role_users["investigator"], idempotency_key=key()
        )
    assert excinfo.value.messages == [allocation_services.NO_KIT_MESSAGE]
    assert not Allocation.objects.exists()
    assert not Kit.objects.filter(status=Kit.Status.ALLOCATED).exists()
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ENROLLED
    assert AuditEvent.objects.filter(action="randomization.no_kit").count() == 1
    assert not AuditEvent.objects.filter(action="randomization.randomized").exists()
    alert = Notification.objects.get(kind=Notification.Kind.NO_KIT)
    assert alert.sent_at is not None and "A" not in alert.recipients
    # The slot was not consumed: once kits arrive the same participant gets slot 1.
    make_kits(site11, 2)
    assert (
        allocation_services.randomize(
            participant, by=role_users["investigator"], idempotency_key=key()
        ).slot.seq
        == 1
    )


def test_when_only_the_other_arm_is_stocked_nothing_is_consumed(lists, site11, role_users):
    rm = role_users["randomization_manager"]
    first_slot = Slot.objects.filter(stratum__site=site11).order_by("seq").first()
    arm = arm_access.arm_of_slot(first_slot, user=rm)
    other = make_kits(site11, 1)
    for kit in other:
        if arm_access.arm_of_kit(kit, user=rm) == arm:
            Kit.objects.filter(pk=kit.pk).update(status=Kit.Status.QUARANTINED)
    with pytest.raises(allocation_services.NoKitAvailable):
        allocation_services.randomize(
            make_participant(site11), by=role_users["investigator"], idempotency_key=key()
        )
    assert Kit.objects.filter(status=Kit.Status.AVAILABLE).count() == 1
    assert not Allocation.objects.exists()


def test_it_prefers_kits_with_the_earliest_expiry(lists, site11, role_users):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    make_kits(site11, 5, expiry=today + dt.timedelta(days=400))
    soon = make_kits(site11, 3, expiry=today + dt.timedelta(days=60))
    allocation = allocation_services.randomize(
        make_participant(site11), by=role_users["investigator"], idempotency_key=key()
    )
    assert Kit.objects.get(participant=allocation.participant).code in {k.code for k in soon}


def test_kits_too_close_to_expiry_are_not_allocated(lists, site11, role_users):
    import datetime as dt

    from django.utils import timezone

    make_kits(site11, 3, expiry=timezone.localdate() + dt.timedelta(days=3))
    with pytest.raises(allocation_services.NoKitAvailable):
        allocation_services.randomize(
            make_participant(site11), by=role_users["investigator"], idempotency_key=key()
        )


def test_the_database_refuses_a_second_allocation_of_a_slot(stock, site11, role_users):
    allocation = allocation_services.randomize(
        make_participant(site11), by=role_users["investigator"], idempotency_key=key()
    )
    other = make_participant(site11)
    with pytest.raises(IntegrityError), transaction.atomic():
        Allocation.objects.create(
            participant=other,
            slot=allocation.slot,
            site=site11,
            randomized_at=allocation.randomized_at,
            randomized_by=role_users["investigator"],
            idempotency_key="x",
        )


def test_the_database_refuses_to_change_a_slots_participant(stock, site11, role_users):
    allocation = allocation_services.randomize(
        make_participant(site11), by=role_users["investigator"], idempotency_key=key()
    )
    other = make_participant(site11)
    with pytest.raises(InternalError), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk).update(participant=other)
    with pytest.raises(InternalError), transaction.atomic():
        Allocation.objects.filter(pk=allocation.pk)._raw_delete(Allocation.objects.db)
    with pytest.raises(InternalError), transaction.atomic():
        Slot.objects.filter(pk=allocation.slot_id).update(rand_no="ZZZZZZZZ")


def test_a_participant_randomized_in_error_keeps_slot_and_gets_a_flag(stock, site11, role_users):
    allocation = allocation_services.randomize(
        make_participant(site11), by=role_users["investigator"], idempotency_key=key()
    )
    flagged = allocation_services.flag_randomized_in_error(
        allocation, by=role_users["investigator"], reason="consent withdrawn before"
    )
    assert flagged.error_flag and flagged.slot_id == allocation.slot_id


def test_the_audit_event_and_outbox_never_hold_an_arm(stock, site11, role_users):
    allocation_services.randomize(
        make_participant(site11), by=role_users["investigator"], idempotency_key=key()
    )
    for event in AuditEvent.objects.all():
        assert "arm" not in str(event.data).lower()


PHARMACY = "pui@chu-limoges.invalid"


def randomize_and_send(participant: Participant, by: Any, capture: Any) -> Notification:
    with capture(execute=True):
        allocation_services.randomize(participant, by=by, idempotency_key=key())
    return Notification.objects.get(kind=Notification.Kind.RANDOMIZATION, participant=participant)


def pharmacy_emailed(notification: Notification, address: str) -> bool:
    """The confirmation really left, to exactly this address, about this participant."""
    notification.refresh_from_db()
    sent = [m for m in mail.outbox if m.to == [address]]
    return (
        notification.sent_at is not None
        and len(sent) == 1
        and notification.participant.code in sent[0].body
    )


def test_the_pharmacy_is_emailed_at_its_own_address(
    stock, site11, role_users, django_capture_on_commit_callbacks
):
    site11.pharmacy_email = PHARMACY
    site11.save()
    notification = randomize_and_send(
        make_participant(site11), role_users["investigator"], django_capture_on_commit_callbacks
    )
    assert pharmacy_emailed(notification, PHARMACY)
    assert [m.to for m in mail.outbox] == [[PHARMACY]]


def test_negative_control_an_e_mail_sent_elsewhere_is_detected(
    stock, site11, role_users, django_capture_on_commit_callbacks, monkeypatch
):
    site11.pharmacy_email = PHARMACY
    site11.save()
    notify = allocation_services.notify
    # The mutation: the confirmation goes to the trial manager instead of the pharmacy.
    monkeypatch.setattr(
        allocation_services,
        "notify",
        lambda kind, recipients, **links: notify(kind, ["someone-else@x.invalid"], **links),
    )
    notification = randomize_and_send(
        make_participant(site11), role_users["investigator"], django_capture_on_commit_callbacks
    )
    assert not pharmacy_emailed(notification, PHARMACY)


def test_a_site_without_a_pharmacy_address_is_reported_not_silently_passed(
    stock, site11, role_users, django_capture_on_commit_callbacks, caplog
):
    site11.pharmacy_email = ""
    site11.save()
    with caplog.at_level(logging.ERROR, logger="randomization.services.outbox"):
        notification = randomize_and_send(
            make_participant(site11),
            role_users["investigator"],
            django_capture_on_commit_callbacks,
        )
    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.sent_at is None  # never marked "sent" to nobody
    assert not pharmacy_emailed(notification, "")
    reports = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("address(es) missing (site 11)" in r for r in reports), reports
    assert any("has no recipient: not sent" in r for r in reports), reports
