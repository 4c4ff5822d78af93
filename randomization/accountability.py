"""The drug accountability log as CSV (issue #11): every kit movement of a site, oldest
first, one row per KitEvent. Kit code, lot, expiry and statuses only: never the arm
(the pharmacist is blinded, roles.md; tests/randomization/test_reception.py swaps the arms
and compares the bytes)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from randomization.models import KitEvent

# Column names are stable identifiers (English, like the export datasets); the statuses
# are their codes, the same in every language.
COLUMNS = (
    "occurred_at_utc",
    "kit",
    "lot",
    "expiry",
    "from_status",
    "to_status",
    "site",
    "shipment",
    "participant",
    "by",
    "reason",
)


def events_of(site: Any) -> QuerySet[KitEvent]:
    """The site's kit movements in log order (the page and the CSV read the same rows)."""
    return (
        KitEvent.objects.filter(site=site)
        .select_related("kit", "by", "participant", "shipment", "site")
        .order_by("occurred_at", "id")
    )


def row(event: KitEvent) -> list[str]:
    return [
        event.occurred_at.isoformat(),
        event.kit.code,
        event.kit.lot,
        event.kit.expiry.isoformat(),
        event.from_status,
        event.to_status,
        event.site.code if event.site else "",
        event.shipment.number if event.shipment else "",
        event.participant.code if event.participant else "",
        event.by.get_username() if event.by else "",
        event.reason,
    ]


class _Echo:
    """csv.writer target that hands each written line back (streamed response)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(events: Iterable[KitEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: spreadsheet software then reads the UTF-8 accents right
    yield writer.writerow(COLUMNS)
    for event in events:
        yield writer.writerow(row(event))
