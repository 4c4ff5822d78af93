"""Pharmacy reception (issue #11), through the rendered pages (tests/webform.py): closing a
shipment with unscanned kits asks for a confirmation and shows the right counts; a scan
answers without a reload (htmx); requested shipments come first in central supply; the
accountability log downloads as CSV, without the arm (twin worlds, A↔B swapped)."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta
from typing import Any

import lxml.html
import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from platinium.lib.study_time import STUDY_TIME_ZONE
from randomization import accountability, arm_access
from randomization.models import Kit, KitEvent, Shipment
from randomization.services.dispensing import return_kit
from tests.randomization.factories import make_kits
from tests.webform import form_in, submit

pytestmark = pytest.mark.django_db
S = Kit.Status


def in_transit(site: Any, number: str = "SH-11-R1", per_arm: int = 2) -> tuple[Shipment, list]:
    shipment = Shipment.objects.create(
        number=number,
        site=site,
        reason=Shipment.Reason.RESUPPLY,
        kits_per_arm=per_arm,
        status=Shipment.Status.IN_TRANSIT,
        dispatched_at=timezone.now(),
    )
    kits = make_kits(site, per_arm, status=S.IN_TRANSIT, shipment=shipment)
    return shipment, sorted(kits, key=lambda k: k.code)


def page_url(shipment: Shipment) -> str:
    return reverse("randomization:shipment_detail", kwargs={"shipment_id": shipment.pk})


def shown_counts(html: bytes | str) -> dict[str, int]:
    tree = lxml.html.fromstring(html)
    return {
        dd.get("data-count"): int(dd.text_content())
        for dd in tree.xpath("//dl[@id='receipt-counts']/dd")
    }


def scan(client: Any, shipment: Shipment, code: str, **extra: Any) -> Any:
    return submit(
        client, page_url(shipment), form_id="scan-form", changes={"kit_code": code}, **extra
    )


def test_closing_with_an_unscanned_kit_asks_to_confirm_and_then_counts_right(
    site11: Any, client_for: Any
) -> None:
    shipment, kits = in_transit(site11)
    client = client_for("pharmacist")
    for kit in kits[:3]:
        assert scan(client, shipment, kit.code).status_code == 302
    assert shown_counts(client.get(page_url(shipment)).content) == {
        "expected": 4,
        "scanned": 3,
        "not-scanned": 1,
    }
    asked = submit(client, page_url(shipment), form_id="close-form", changes={"temperature": "ok"})
    # Not closed: the page asks, names the missing kit, and nothing is written.
    assert asked.status_code == 200
    warning = lxml.html.fromstring(asked.content).get_element_by_id("confirm-missing")
    assert kits[3].code in warning.text_content()
    assert "1 kit sur 4" in warning.text_content()
    kits[3].refresh_from_db()
    shipment.refresh_from_db()
    assert kits[3].status == S.IN_TRANSIT and shipment.status == Shipment.Status.IN_TRANSIT
    assert not AuditEvent.objects.filter(action="randomization.shipment_received").exists()
    # Confirming on that page (the logger choice kept) records the kit as lost.
    form = form_in(asked.content, form_id="close-form")
    data = form.data()
    assert data["temperature"] == "ok"
    data["missing_confirmed"] = "on"
    assert client.post(form.action, data).status_code == 302
    kits[3].refresh_from_db()
    assert kits[3].status == S.LOST
    # The page after the receipt: 3 scanned of 4 (the lost kit is not "scanned").
    assert shown_counts(client.get(page_url(shipment)).content) == {
        "expected": 4,
        "scanned": 3,
        "not-scanned": 1,
    }
    event = AuditEvent.objects.get(action="randomization.shipment_received")
    assert event.data["not_scanned"] == 1


def test_negative_control_without_the_confirmation_box_nothing_is_lost(
    site11: Any, client_for: Any
) -> None:
    """Posting the confirmation page unticked asks again: the kit is never lost silently."""
    shipment, _kits = in_transit(site11)
    client = client_for("pharmacist")
    asked = submit(client, page_url(shipment), form_id="close-form", changes={"temperature": "ok"})
    form = form_in(asked.content, form_id="close-form")
    again = client.post(form.action, form.data())
    assert again.status_code == 200 and b"confirm-missing" in again.content
    assert Kit.objects.filter(shipment=shipment, status=S.IN_TRANSIT).count() == 4


def test_a_complete_delivery_closes_without_confirmation(site11: Any, client_for: Any) -> None:
    shipment, kits = in_transit(site11)
    client = client_for("pharmacist")
    for kit in kits:
        scan(client, shipment, kit.code)
    closed = submit(client, page_url(shipment), form_id="close-form", changes={"temperature": "ok"})
    assert closed.status_code == 302
    assert set(Kit.objects.filter(shipment=shipment).values_list("status", flat=True)) == {
        S.AVAILABLE
    }
    assert shown_counts(client.get(page_url(shipment)).content)["scanned"] == 4


def test_a_logger_alarm_quarantines_without_confirmation_and_counts_only_scanned_kits(
    site11: Any, client_for: Any
) -> None:
    shipment, kits = in_transit(site11)
    client = client_for("pharmacist")
    scan(client, shipment, kits[0].code)
    closed = submit(
        client, page_url(shipment), form_id="close-form", changes={"temperature": "alarm"}
    )
    assert closed.status_code == 302
    counts = shown_counts(client.get(page_url(shipment)).content)
    assert counts == {"expected": 4, "scanned": 1, "not-scanned": 3}


def test_a_scan_from_htmx_answers_the_receipt_part_without_a_reload(
    site11: Any, client_for: Any
) -> None:
    shipment, kits = in_transit(site11)
    client = client_for("pharmacist")
    page = lxml.html.fromstring(client.get(page_url(shipment)).content)
    scan_form = page.get_element_by_id("scan-form")
    assert scan_form.get("hx-post") == scan_form.get("action")
    assert scan_form.get("hx-target") == "#receipt"
    answer = scan(client, shipment, kits[0].code.lower(), headers={"HX-Request": "true"})
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<html" not in html and html.strip().startswith('<div id="receipt">')
    assert shown_counts(html) == {"expected": 4, "scanned": 1, "not-scanned": 3}
    message = lxml.html.fromstring(html).get_element_by_id("scan-message")
    assert "alert-success" in message.get("class") and kits[0].code in message.text_content()
    assert 'id="scan-form"' in html  # ready for the next kit
    # A refused scan answers the same part with the reason; nothing written.
    refused = scan(client, shipment, kits[0].code, headers={"HX-Request": "true"})
    message = lxml.html.fromstring(refused.content).get_element_by_id("scan-message")
    assert "alert-danger" in message.get("class")
    assert KitEvent.objects.filter(kit=kits[0], to_status=S.RECEIVED).count() == 1
    # Negative control: without htmx the same post redirects (the page reloads).
    assert scan(client, shipment, kits[1].code).status_code == 302


def test_central_supply_shows_requested_shipments_first(
    site11: Any, site16: Any, client_for: Any
) -> None:
    now = timezone.now()
    rows = [
        ("SH-11-0001", site11, Shipment.Status.RECEIVED, now),
        ("SH-16-0001", site16, Shipment.Status.IN_TRANSIT, now - timedelta(days=1)),
        ("SH-11-0002", site11, Shipment.Status.REQUESTED, now - timedelta(days=5)),
        ("SH-16-0002", site16, Shipment.Status.REQUESTED, now - timedelta(days=2)),
        ("SH-11-0003", site11, Shipment.Status.QUARANTINED, now - timedelta(days=3)),
    ]
    for number, site, status, when in rows:
        Shipment.objects.create(
            number=number,
            site=site,
            reason=Shipment.Reason.RESUPPLY,
            kits_per_arm=1,
            status=status,
            requested_at=when,
        )
    html = client_for("randomization_manager").get(reverse("randomization:supply")).content
    tree = lxml.html.fromstring(html)
    shown = [
        td.text_content() for td in tree.xpath("//table[@id='shipment-requests']/tbody/tr/td[1]")
    ]
    assert shown == ["SH-16-0002", "SH-11-0002", "SH-11-0001", "SH-16-0001", "SH-11-0003"]


def read_csv(response: Any) -> list[dict[str, str]]:
    body = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_accountability_log_downloads_as_csv_with_every_movement_of_the_site(
    site11: Any, site16: Any, client_for: Any, role_users: Any
) -> None:
    kits = make_kits(site11, 30, status=S.DISPENSED)
    other = make_kits(site16, 1)
    for kit in kits[:3]:
        return_kit(kit, by=role_users["pharmacist"], reason="unused at discharge")
    response = client_for("pharmacist").get(reverse("randomization:accountability_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert list(rows[0]) == list(accountability.COLUMNS)
    # Every movement, not one page of 50.
    assert len(rows) == KitEvent.objects.filter(site=site11).count() > 50
    returned = [r for r in rows if r["to_status"] == S.RETURNED]
    assert {r["kit"] for r in returned} == {k.code for k in kits[:3]}
    assert {r["reason"] for r in returned} == {"unused at discharge"}
    assert {r["site"] for r in rows} == {"11"}
    assert not {k.code for k in other} & {r["kit"] for r in rows}
    # The monitor reads it too (roles.md R·S); the monitor of site 11 only.
    assert client_for("monitor").get(reverse("randomization:accountability_csv")).status_code == 200


INSTANT = datetime(2026, 3, 10, 10, 0, tzinfo=STUDY_TIME_ZONE)


def csv_of_world(swap: bool, site: Any, pharmacist: Any, client: Any) -> tuple[bytes, list]:
    """One world: the same kits and movements, arms A↔B swapped when `swap`."""
    with transaction.atomic():
        with time_machine.travel(INSTANT, tick=False):
            kits = make_kits(site, 2, status=S.DISPENSED, rng=random.Random(7), swap=swap)
            for kit in kits[:2]:
                return_kit(kit, by=pharmacist, reason="returned")
            response = client.get(reverse("randomization:accountability_csv"))
            body = response.content
            arms = [arm_access._open(k.arm_token) for k in sorted(kits, key=lambda k: k.code)]
        transaction.set_rollback(True)
    return body, arms


def test_the_csv_is_identical_when_the_arms_are_swapped(
    site11: Any, client_for: Any, role_users: Any
) -> None:
    client = client_for("pharmacist")
    a, arms_a = csv_of_world(False, site11, role_users["pharmacist"], client)
    b, arms_b = csv_of_world(True, site11, role_users["pharmacist"], client)
    assert arms_a != arms_b  # the worlds differ by their arms
    assert a == b


def test_negative_control_an_arm_in_the_csv_is_detected(
    site11: Any, client_for: Any, role_users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = accountability.row
    monkeypatch.setattr(
        accountability,
        "row",
        lambda event: [*plain(event), arm_access._open(event.kit.arm_token)],
    )
    client = client_for("pharmacist")
    a, _ = csv_of_world(False, site11, role_users["pharmacist"], client)
    b, _ = csv_of_world(True, site11, role_users["pharmacist"], client)
    assert a != b
