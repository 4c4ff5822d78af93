"""The list behind the home page's "overdue forms" is paged (issue #13, ADR 0028): 50 a
page, the rest on page 2, the home count the total of both pages."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.urls import reverse

from tests.home.helpers import counts

pytestmark = pytest.mark.django_db


def rows(client: Any, **query: Any) -> int:
    response = client.get(reverse("crf:forms_to_enter"), {"show": "overdue", **query})
    assert response.status_code == 200
    return len(lxml.html.fromstring(response.content).xpath("//tr[@class='todo-row']"))


def test_overdue_forms_are_paged_and_the_count_is_their_total(site11: Any, client_for: Any) -> None:
    from tests.crf.helpers import randomized

    for _ in range(3):
        randomized(site11, days_ago=25)  # nothing entered: about 25 overdue forms each
    client = client_for("investigator")
    total = counts(client.get("/").content.decode())["forms_overdue"][0]
    assert total > 50
    assert rows(client) == 50
    assert rows(client, page=2) == total - 50
