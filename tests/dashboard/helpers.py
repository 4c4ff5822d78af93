"""A small trial for the dashboard tests, and readers of the rendered tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import lxml.html
from django.urls import reverse
from django.utils import timezone

from crf.models import DataQuery
from crf.models.queries import QueryOrigin

URL = "/monitoring/dashboard/"


def open_query(participant: Any, *, days_old: int) -> DataQuery:
    return DataQuery.objects.create(
        participant=participant,
        model_label="crf.baseline",
        object_id=1,
        field="weight_kg",
        origin=QueryOrigin.MONITOR,
        text="?",
        raised_at=timezone.now() - timedelta(days=days_old),
    )


def small_trial(site11: Any, site16: Any, by11: Any, by16: Any) -> None:
    """Site 11: 2 randomized participants with a serious AE awaiting acknowledgement,
    3 screenings (2 eligible), open queries 1 recent + 1 old (a closed one not counted).
    Site 16: 1 randomized participant, 1 screening, 3 recent open queries."""
    from tests.eligibility.factories import make_screening
    from tests.sdv.helpers import with_critical_rows

    first = with_critical_rows(site11, by11)
    with_critical_rows(site11, by11)
    other = with_critical_rows(site16, by16)
    make_screening(site11)
    make_screening(site11)
    make_screening(site11, eligible=False)
    make_screening(site16)
    open_query(first, days_old=1)
    open_query(first, days_old=45)
    closed = open_query(first, days_old=2)
    DataQuery.objects.filter(pk=closed.pk).update(status="closed")
    for _ in range(3):
        open_query(other, days_old=0)


def tables(html: str) -> dict[str, list[list[str]]]:
    """table id → rows of cell texts (header row excluded)."""
    tree = lxml.html.fromstring(html)
    out: dict[str, list[list[str]]] = {}
    for table in tree.xpath("//table[@id]"):
        out[table.get("id")] = [
            [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
            for row in table.xpath("./tbody/tr")
        ]
    return out


def site_row(html: str, code: str) -> dict[str, str] | None:
    tree = lxml.html.fromstring(html)
    rows = tree.xpath(f"//tr[@class='site-row'][@data-site='{code}']")
    if not rows:
        return None
    return {cell.get("class") or "site": cell.text_content().strip() for cell in rows[0]}


def dashboard_url() -> str:
    return reverse("monitoring:dashboard")
