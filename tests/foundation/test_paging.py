"""Lists are paged, 50 rows a page, every choice in the URL (docs/decisions/0022): page 2
shows the next rows, an out-of-range page the last one (never a 500), another site's rows
never; the audit log never counts its whole table nor reads its distinct actions."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import audit.views
from audit.models import AuditEvent
from participants.models import Participant
from randomization.models import KitEvent
from tests.eligibility.factories import make_screening
from tests.randomization.factories import make_kits

pytestmark = pytest.mark.django_db


def codes_on(html: str, pattern: str = r"\b1[16]-\d{3}\b") -> list[str]:
    return re.findall(pattern, html)


@pytest.fixture
def many_participants(role_users: dict[str, Any], site11: Any, site16: Any) -> None:
    now = timezone.now()
    for site, user, count in (
        (site11, role_users["investigator"], 60),
        (site16, role_users["investigator_nantes"], 5),
    ):
        for seq in range(1, count + 1):
            Participant.objects.create(
                site=site,
                seq=seq,
                code=f"{site.code}-{seq:03d}",
                enrolled_at=now - timedelta(days=seq),
                enrolled_by=user,
            )


def _list(client: Any, **query: Any) -> str:
    response = client.get(reverse("participants:list"), query)
    assert response.status_code == 200
    return response.content.decode()


def _rows(html: str) -> list[str]:
    body = html.split('id="participant-list"')[1].split("</table>")[0]
    return re.findall(r">(1[16]-\d{3})</a>", body)


def test_participant_list_shows_50_rows_then_the_next_on_page_2(many_participants, client_for):
    client = client_for("investigator")
    first, second = _rows(_list(client)), _rows(_list(client, page=2))
    assert first == [f"11-{n:03d}" for n in range(1, 51)]
    assert second == [f"11-{n:03d}" for n in range(51, 61)]
    assert "Page 1 sur 2 (60 lignes)" in _list(client)


def test_participant_list_out_of_range_or_bad_page_is_a_page_not_a_500(
    many_participants, client_for
):
    client = client_for("coordinator")
    assert _rows(_list(client, page=99)) == [f"11-{n:03d}" for n in range(51, 61)]
    assert _rows(_list(client, page="x"))[0] == "11-001"
    assert _rows(_list(client, page=-1)) == [f"11-{n:03d}" for n in range(51, 61)]


def test_participant_list_search_sort_and_status_stay_in_the_url(many_participants, client_for):
    client = client_for("investigator")
    assert _rows(_list(client, q="11-05")) == [f"11-{n:03d}" for n in range(50, 60)]
    newest_first = _rows(_list(client, sort="-enrolled"))
    assert newest_first[0] == "11-001" and newest_first[-1] == "11-050"
    assert _rows(_list(client, sort="-code"))[0] == "11-060"
    assert _rows(_list(client, status="withdrawn")) == []
    # The pager keeps the other parameters of the URL.
    html = _list(client, sort="-code", q="11-0")
    assert (
        "?sort=-code&amp;q=11-0&amp;page=2" in html or "?q=11-0&amp;sort=-code&amp;page=2" in html
    )
    # A sort that does not exist falls back to the code, never a 500.
    assert _rows(_list(client, sort="password"))[0] == "11-001"


def test_another_sites_participants_never_appear_on_any_page(many_participants, client_for):
    client = client_for("investigator")
    for query in ({}, {"page": 2}, {"all": 1}, {"all": 1, "page": 2}, {"q": "16-"}):
        assert not [c for c in codes_on(_list(client, **query)) if c.startswith("16-")], query
    # Not vacuous: the data manager (all sites) does see them.
    every = _list(client_for("data_manager"), all=1, page=2)
    assert any(c.startswith("16-") for c in _rows(every))


def test_participant_list_page_in_few_queries(
    many_participants, client_for, django_assert_max_num_queries
):
    client = client_for("data_manager")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("participants:list"), {"all": 1, "page": 2}).status_code == 200


def test_screening_log_page_2_shows_the_next_rows(site11: Any, site16: Any, client_for) -> None:
    numbers = [make_screening(site11).number for _ in range(52)]
    other = make_screening(site16).number
    client = client_for("investigator")

    def shown(**query: Any) -> list[str]:
        response = client.get(reverse("eligibility:screening_list"), query)
        assert response.status_code == 200
        return re.findall(r"S-1[16]-\d{4}", response.content.decode())

    newest_first = list(reversed(numbers))
    assert set(shown()) >= set(newest_first[:50])
    assert not set(shown()) & set(newest_first[50:])
    assert set(shown(page=2)) >= set(newest_first[50:])
    assert set(shown(page=99)) == set(shown(page=2))
    assert other not in shown() + shown(page=2)


def test_accountability_log_is_paged_oldest_first(site11: Any, site16: Any, client_for) -> None:
    kits = make_kits(site11, 30)
    other = make_kits(site16, 1)[0]
    start = timezone.now() - timedelta(days=2)  # before the kits' own events
    for index in range(60):
        kit = kits[index % len(kits)]
        KitEvent.objects.create(
            kit=kit,
            from_status="",
            to_status=kit.status,
            site=site11,
            reason=f"ev-{index:02d}",
            occurred_at=start + timedelta(minutes=index),
        )
    KitEvent.objects.create(kit=other, from_status="", to_status=other.status, site=site16)
    client = client_for("pharmacist")

    def shown(**query: Any) -> str:
        response = client.get(reverse("randomization:accountability"), query)
        assert response.status_code == 200
        return response.content.decode()

    first, second = shown(), shown(page=2)
    assert "ev-00" in first and "ev-49" in first and "ev-50" not in first
    assert "ev-50" in second and "ev-59" in second and "ev-49" not in second
    pages = (KitEvent.objects.filter(site=site11).count() - 1) // 50 + 1
    assert pages >= 2 and f"Page {pages} sur {pages}" in shown(page=1000)
    assert other.code not in first + second


def _audit_log_sql(client: Any, **query: Any) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("audit:log"), query)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def _whole_table_reads(sql: list[str]) -> list[str]:
    """COUNT without a LIMIT, or DISTINCT, over the audit table."""
    return [
        s
        for s in sql
        if '"audit_auditevent"' in s
        and (("COUNT(" in s.upper() and "LIMIT" not in s.upper()) or "DISTINCT" in s.upper())
    ]


def test_audit_log_counts_at_most_its_bound_and_lists_actions_without_reading_the_table(
    client_for, monkeypatch
) -> None:
    for index in range(60):
        AuditEvent.objects.create(action="bulk_event", actor_username="x", target_repr=f"r{index}")
    monkeypatch.setattr(audit.views, "LOG_COUNT_BOUND", 55)
    client = client_for("data_manager")
    html, sql = _audit_log_sql(client, page=2, action="bulk_event")
    assert _whole_table_reads(sql) == []
    assert "55" in html and ("plus de 55" in html or "more than 55" in html)
    # The static list of actions is offered, families first, each by its label.
    assert '<option value="crf.">' in html and '<option value="randomization.randomized">' in html
    assert html.index('value="crf."') < html.index('value="randomization.randomized"')
    # Page 2 has the 51st to 56th newest rows (56 counted: the bound + 1).
    assert "r9<" in html and "r4<" in html and "r3<" not in html and "r10<" not in html


def _sorted_counts(sql: list[str]) -> list[str]:
    """A bounded COUNT over the audit table that sorts the rows it counts (issue #13)."""
    return [
        s
        for s in sql
        if '"audit_auditevent"' in s and "COUNT(" in s.upper() and "ORDER BY" in s.upper()
    ]


def test_audit_log_count_does_not_sort_the_table(client_for) -> None:
    AuditEvent.objects.create(action="bulk_event", actor_username="x")
    _html, sql = _audit_log_sql(client_for("data_manager"))
    assert [s for s in sql if "COUNT(" in s.upper() and '"audit_auditevent"' in s]
    assert _sorted_counts(sql) == []


def test_negative_control_a_sorted_bounded_count_is_caught(client_for, monkeypatch) -> None:
    from platinium.lib import paging

    monkeypatch.setattr(
        paging.BoundedPaginator,
        "count",
        property(lambda self: self.object_list[: self.bound + 1].count()),
    )
    AuditEvent.objects.create(action="bulk_event", actor_username="x")
    _html, sql = _audit_log_sql(client_for("data_manager"))
    assert _sorted_counts(sql)


def test_audit_log_filters_a_family_of_actions(client_for) -> None:
    AuditEvent.objects.create(action="crf.dailyfollowup.create", target_repr="in-family")
    AuditEvent.objects.create(action="eligibility.enrolled", target_repr="out-of-family")
    html, _sql = _audit_log_sql(client_for("data_manager"), action="crf.")
    assert "in-family" in html and "out-of-family" not in html


def test_negative_control_a_plain_paginator_is_caught(client_for, monkeypatch) -> None:
    from django.core.paginator import Paginator

    AuditEvent.objects.create(action="bulk_event", actor_username="x")
    monkeypatch.setattr(
        audit.views,
        "bounded_page_of",
        lambda rows, request, bound: Paginator(rows, 50).get_page(request.GET.get("page")),
    )
    _html, sql = _audit_log_sql(client_for("data_manager"))
    assert _whole_table_reads(sql)
