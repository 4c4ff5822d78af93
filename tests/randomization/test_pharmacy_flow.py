"""Site pharmacy: supply, receipt by scanning, quarantine, dispensing, incidents, returns."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.db import InternalError, transaction
from django.utils import timezone

from randomization import arm_access, kits
from randomization import parameters as p
from randomization.models import Kit, KitEvent, Shipment
from randomization.services.allocation import randomize
from randomization.services.dispensing import (
    destroy_kit,
    dispense_kit,
    report_kit_incident,
    return_kit,
    send_to_destruction,
)
from randomization.services.scanning import KitRefused
from randomization.services.supply import (
    close_receipt,
    decide_quarantine,
    dispatch_shipment,
    receive_kit,
    request_initial_supply,
    stock_level,
)
from randomization.tasks import expire_kits_task
from tests.randomization.factories import make_kits, make_participant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eligible")]
S = Kit.Status


def arms(kit_list, rm):
    return sorted(arm_access.arm_of_kit(k, user=rm) for k in kit_list)


@pytest.fixture
def depot(db):
    return make_kits(None, 20, status=S.AT_DEPOT)


@pytest.fixture
def activated(depot, lists, site11, role_users):
    """Site 11 activated: 4 + 4 kits shipped, scanned and received."""
    rm, ph = role_users["randomization_manager"], role_users["pharmacist"]
    shipment = request_initial_supply(site11, by=rm)
    dispatch_shipment(shipment, by=rm)
    for kit in Kit.objects.filter(shipment=shipment):
        receive_kit(shipment, by=ph, scanned_code=kit.code.lower() + "\r\n")
    close_receipt(shipment, by=ph, temperature="ok")
    return shipment


def test_activation_ships_4_plus_4_and_receipt_makes_them_available(activated, role_users):
    kits_ = list(Kit.objects.filter(shipment=activated))
    assert len(kits_) == 2 * p.RESUPPLY_INITIAL_PER_ARM
    assert arms(kits_, role_users["randomization_manager"]) == ["A"] * 4 + ["B"] * 4
    assert {k.status for k in kits_} == {S.AVAILABLE}
    activated.refresh_from_db()
    assert activated.status == Shipment.Status.RECEIVED and activated.temperature == "ok"


def test_a_logger_alarm_quarantines_the_whole_shipment_then_one_decision_covers_it(
    depot, lists, site11, role_users
):
    rm, ph = role_users["randomization_manager"], role_users["pharmacist"]
    shipment = dispatch_shipment(request_initial_supply(site11, by=rm), by=rm)
    first = Kit.objects.filter(shipment=shipment).first()
    receive_kit(shipment, by=ph, scanned_code=first.code)
    close_receipt(shipment, by=ph, temperature="alarm", note="logger 9 °C")
    assert set(Kit.objects.filter(shipment=shipment).values_list("status", flat=True)) == {
        S.QUARANTINED
    }
    decide_quarantine(shipment, by=ph, release=True, reason="sponsor ok, ref 12")
    assert set(Kit.objects.filter(shipment=shipment).values_list("status", flat=True)) == {
        S.AVAILABLE
    }


def test_receipt_refuses_a_kit_that_is_not_on_the_manifest(activated, site11, role_users):
    other = make_kits(site11, 1, status=S.IN_TRANSIT)[0]
    shipment = dispatch_shipment(
        Shipment.objects.create(number="SH-11-X", site=site11, reason="resupply", kits_per_arm=1),
        by=role_users["randomization_manager"],
    )
    with pytest.raises(KitRefused, match="manifest"):
        receive_kit(shipment, by=role_users["pharmacist"], scanned_code=other.code)


def test_dispensing_accepts_only_the_allocated_kit_and_writes_nothing_otherwise(
    activated, site11, role_users
):
    participant = make_participant(site11)
    randomize(participant, by=role_users["investigator"], idempotency_key="k1")
    allocated = Kit.objects.get(participant=participant)
    wrong = Kit.objects.filter(site=site11, status=S.AVAILABLE).first()
    events = KitEvent.objects.count()
    for code, reason in [
        (wrong.code, "not the kit allocated"),
        ("ABCDEF", "not a valid"),
        ("QQQQQQQ", "not a valid"),
    ]:
        with pytest.raises(KitRefused, match=reason):
            dispense_kit(participant, by=role_users["pharmacist"], scanned_code=code)
    assert KitEvent.objects.count() == events
    kit = dispense_kit(
        participant, by=role_users["pharmacist"], scanned_code=f" {allocated.code.lower()}\n"
    )
    assert kit.status == S.DISPENSED


def test_dispensing_refuses_another_sites_kit_an_expired_and_a_quarantined_kit(
    lists, site11, site16, role_users
):
    participant = make_participant(site11)
    foreign = make_kits(site16, 1)[0]
    expired = make_kits(site11, 1, expiry=timezone.localdate() - dt.timedelta(days=1))[0]
    quarantined = make_kits(site11, 1, status=S.QUARANTINED)[0]
    ph = role_users["pharmacist"]
    for kit, reason in [
        (foreign, "another site|does not belong"),
        (expired, "expired"),
        (quarantined, "quarantined"),
    ]:
        with pytest.raises(KitRefused, match=reason):
            dispense_kit(participant, by=ph, scanned_code=kit.code)


def test_a_damaged_kit_is_replaced_by_a_kit_of_the_same_arm(activated, site11, role_users):
    rm = role_users["randomization_manager"]
    participant = make_participant(site11)
    randomize(participant, by=role_users["investigator"], idempotency_key="k2")
    kit = Kit.objects.get(participant=participant)
    result = report_kit_incident(
        kit, by=role_users["pharmacist"], lost=False, doses_remaining=True, reason="vial broken"
    )
    assert result.kit.status == S.DAMAGED
    replacement = result.replacement
    assert replacement.status == S.ALLOCATED and replacement.participant == participant
    assert replacement.replaces_id == kit.pk
    assert arm_access.arm_of_kit(replacement, user=rm) == arm_access.arm_of_kit(kit, user=rm)
    from randomization.selectors import kit_codes_for

    assert kit_codes_for(participant) == {kit.code, replacement.code}


def test_returns_and_destruction_follow_the_state_machine(activated, site11, role_users):
    participant = make_participant(site11)
    randomize(participant, by=role_users["investigator"], idempotency_key="k3")
    ph = role_users["pharmacist"]
    kit = Kit.objects.get(participant=participant)
    with pytest.raises(KitRefused):
        destroy_kit(kit, by=ph)
    dispense_kit(participant, by=ph, scanned_code=kit.code)
    return_kit(kit, by=ph, reason="2 vials unused")
    send_to_destruction(kit, by=ph)
    kit = destroy_kit(kit, by=ph)
    assert kit.status == S.DESTROYED
    assert list(kit.log.values_list("to_status", flat=True))[-4:] == [
        S.DISPENSED,
        S.RETURNED,
        S.PENDING_DESTRUCTION,
        S.DESTROYED,
    ]


def test_an_illegal_transition_raises_and_the_log_is_append_only(lists, site11):
    kit = make_kits(site11, 1)[0]
    with pytest.raises(kits.IllegalTransition):
        kits.transition(kit, S.DESTROYED, by=None)
    with pytest.raises(InternalError), transaction.atomic():
        KitEvent.objects.filter(kit=kit).update(reason="rewritten")
    with pytest.raises(InternalError), transaction.atomic():
        KitEvent.objects.filter(kit=kit)._raw_delete(KitEvent.objects.db)


def test_every_state_has_an_entry_in_the_transition_table():
    assert set(kits.TRANSITIONS) == set(S.values)


def test_the_nightly_task_expires_kits_past_their_date(lists, site11):
    old = make_kits(site11, 1, expiry=timezone.localdate() - dt.timedelta(days=1))
    fresh = make_kits(site11, 1)
    assert expire_kits_task.delay().get() == 2
    assert set(Kit.objects.filter(pk__in=[k.pk for k in old]).values_list("status", flat=True)) == {
        S.EXPIRED
    }
    assert set(
        Kit.objects.filter(pk__in=[k.pk for k in fresh]).values_list("status", flat=True)
    ) == {S.AVAILABLE}


def test_resupply_requests_2_plus_2_when_stock_falls_to_6(activated, site11, role_users):
    assert not Shipment.objects.filter(reason=Shipment.Reason.RESUPPLY).exists()
    for i in range(2):
        randomize(make_participant(site11), by=role_users["investigator"], idempotency_key=f"r{i}")
    # 8 received, 2 allocated: 6 left, the request goes out.
    request = Shipment.objects.get(reason=Shipment.Reason.RESUPPLY)
    assert request.kits_per_arm == p.RESUPPLY_REORDER_PER_ARM
    assert stock_level(site11) == 10
    randomize(
        make_participant(site11), by=role_users["investigator"], idempotency_key=uuid.uuid4().hex
    )
    assert Shipment.objects.filter(reason=Shipment.Reason.RESUPPLY).count() == 1


def test_a_dispatched_shipment_always_holds_as_many_kits_of_each_arm(
    depot, lists, site11, role_users
):
    rm = role_users["randomization_manager"]
    for n in (1, 2, 4):
        shipment = dispatch_shipment(
            Shipment.objects.create(
                number=f"SH-11-B{n}", site=site11, reason="resupply", kits_per_arm=n
            ),
            by=rm,
        )
        assert arm_access.arm_counts_are_balanced(
            Kit.objects.filter(shipment=shipment).values_list("arm_token", flat=True)
        )


def test_the_pharmacist_cannot_act_at_another_site(activated, site16, role_users):
    kit = make_kits(site16, 1)[0]
    with pytest.raises(PermissionDenied):
        report_kit_incident(
            kit, by=role_users["pharmacist"], lost=True, doses_remaining=False, reason="x"
        )
