"""The pharmacy's "kits to dispense" list is paged on its own parameter, searchable and
sortable from the URL (issue #13, ADR 0022/0028), in a flat number of queries; central
supply is paged too."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from participants.models import Participant
from randomization.models import Kit, Shipment
from tests.randomization.factories import make_kits

pytestmark = pytest.mark.django_db


def allocate(site: Any, user: Any, count: int, start: int = 1) -> None:
    """`count` participants of `site`, each with one allocated kit (allocated in code order)."""
    kits = make_kits(site, count, status=Kit.Status.ALLOCATED)
    spare = kits[count:]  # make_kits makes `count` per arm: the others stay in stock
    Kit.objects.filter(pk__in=[k.pk for k in spare]).update(status=Kit.Status.AVAILABLE)
    kits = kits[:count]
    now = timezone.now()
    for offset, kit in enumerate(kits):
        seq = start + offset
        participant = Participant.objects.create(
            site=site,
            seq=seq,
            code=f"{site.code}-{seq:03d}",
            enrolled_at=now,
            enrolled_by=user,
        )
        Kit.objects.filter(pk=kit.pk).update(
            participant=participant, allocated_at=now - timedelta(minutes=seq)
        )


def to_dispense(client: Any, **query: Any) -> list[str]:
    response = client.get(reverse("randomization:pharmacy_home"), query)
    assert response.status_code == 200
    body = response.content.decode().split('id="to-dispense"')[1].split("</table>")[0]
    return re.findall(r"<td>(1[16]-\d{3})</td>", body)


@pytest.fixture
def many(site11: Any, site16: Any, role_users: dict[str, Any]) -> None:
    allocate(site11, role_users["investigator"], 60)
    allocate(site16, role_users["investigator_nantes"], 3)


def test_kits_to_dispense_show_50_then_the_rest_on_their_own_page_parameter(
    many: Any, client_for: Any
) -> None:
    client = client_for("pharmacist")
    assert to_dispense(client) == [f"11-{n:03d}" for n in range(1, 51)]
    assert to_dispense(client, dispense_page=2) == [f"11-{n:03d}" for n in range(51, 61)]
    assert to_dispense(client, dispense_page=99) == to_dispense(client, dispense_page=2)
    assert to_dispense(client, dispense_page="x")[0] == "11-001"
    # `page` pages the shipments, not this list; the pager keeps the other parameters.
    assert to_dispense(client, page=2)[0] == "11-001"
    html = client.get(reverse("randomization:pharmacy_home"), {"dispense_q": "11-0"}).content
    assert b"?dispense_q=11-0&amp;dispense_page=2" in html


def test_kits_to_dispense_search_and_sort_stay_in_the_url(many: Any, client_for: Any) -> None:
    client = client_for("pharmacist")
    assert to_dispense(client, dispense_q="11-05") == [f"11-{n:03d}" for n in range(50, 60)]
    # Oldest allocation first: the last participant was allocated first.
    assert to_dispense(client, dispense_sort="allocated")[0] == "11-060"
    assert to_dispense(client, dispense_sort="password")[0] == "11-001"  # no 500
    kit = Kit.objects.get(participant__code="11-007")
    assert to_dispense(client, dispense_q=kit.code.lower()) == ["11-007"]


def test_another_sites_kits_never_appear(many: Any, client_for: Any) -> None:
    client = client_for("pharmacist")
    for query in ({}, {"dispense_page": 2}, {"dispense_q": "16-"}):
        assert not [c for c in to_dispense(client, **query) if c.startswith("16-")], query


def test_the_pharmacy_page_reads_the_same_number_of_queries_for_5_or_60_kits(
    site11: Any, role_users: dict[str, Any], client_for: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("pharmacist")
    allocate(site11, role_users["investigator"], 5)
    client.get(reverse("randomization:pharmacy_home"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("randomization:pharmacy_home"))
    allocate(site11, role_users["investigator"], 60, start=6)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        client.get(reverse("randomization:pharmacy_home"), {"dispense_page": 2})
    assert len(large.captured_queries) == len(small.captured_queries)


def test_central_supply_is_paged(site11: Any, client_for: Any) -> None:
    for n in range(55):
        Shipment.objects.create(
            number=f"SH-11-{n:04d}", site=site11, reason=Shipment.Reason.RESUPPLY, kits_per_arm=1
        )
    client = client_for("randomization_manager")
    first = client.get(reverse("randomization:supply")).content.decode()
    second = client.get(reverse("randomization:supply"), {"page": 2}).content.decode()
    assert len(re.findall(r"<td>SH-11-\d{4}</td>", first)) == 50
    assert len(re.findall(r"<td>SH-11-\d{4}</td>", second)) == 5
