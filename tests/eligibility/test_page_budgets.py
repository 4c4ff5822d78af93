"""The screening log and the screening form read as many queries for a small site as for a
busy one (issue #13): each list is one paged query, each screening's rows one query each.

Negative control: the log without its select_related reads one more query per row, and the
comparison catches it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import eligibility.views
from platinium.lib.paging import page_of
from tests.eligibility.factories import make_enrolled_participant, make_screening

pytestmark = pytest.mark.django_db


def _queries(client: Any, url: str) -> int:
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def _grow(site: Any, n: int) -> None:
    for index in range(n):
        make_screening(site, eligible=index % 2 == 0)
    make_enrolled_participant(site)


def _log_and_form(client: Any, screening_pk: int) -> dict[str, int]:
    return {
        "log": _queries(client, reverse("eligibility:screening_list")),
        "new": _queries(client, reverse("eligibility:screening_create")),
        "edit": _queries(client, reverse("eligibility:screening_detail", args=[screening_pk])),
    }


def test_log_and_form_read_the_same_number_of_queries_for_1_or_13_screenings(
    site11: Any, client_for: Callable[[str], Any]
) -> None:
    first = make_screening(site11)
    client = client_for("investigator")
    small = _log_and_form(client, first.pk)
    _grow(site11, 12)
    assert _log_and_form(client, first.pk) == small
    assert small["log"] <= 12 and small["new"] <= 8 and small["edit"] <= 16


def test_negative_control_a_log_read_row_by_row_is_caught(
    site11: Any, client_for: Callable[[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        eligibility.views,
        "page_of",
        lambda rows, request: page_of(rows.select_related(None), request),
    )
    first = make_screening(site11)
    client = client_for("investigator")
    small = _log_and_form(client, first.pk)
    _grow(site11, 4)
    assert _log_and_form(client, first.pk)["log"] > small["log"]
