"""The pharmacy page's shipment rows written in Python, as the template's loop wrote them
(50 rows a page; at 3,260 participants a site has had more than 50 shipments: issue #13).
tests/randomization/test_pharmacy_html.py compares both byte for byte."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.formats import localize
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from platinium.lib.rows_html import labels_of, rows_or_empty, url_parts, when_text
from randomization.models import Shipment


def _number(shipment: Any, url: tuple[str, str]) -> SafeString:
    if shipment.status == Shipment.Status.REQUESTED:  # not yet a shipment to open
        return format_html("{}", shipment.number)
    return format_html('<a href="{}{}{}">{}</a>', url[0], shipment.pk, url[1], shipment.number)


def _row(shipment: Any, url: tuple[str, str], labels: dict[str, dict[str, str]]) -> SafeString:
    return format_html(
        "<tr><td>{}</td><td>{}</td><td>{}</td>"
        '<td><span class="status status-{}">{}</span></td><td>{}</td></tr>\n',
        _number(shipment, url),
        labels["reason"].get(shipment.reason, shipment.reason),
        localize(shipment.kit_total),
        shipment.status,
        labels["status"].get(shipment.status, shipment.status),
        when_text(shipment.requested_at, minutes=False),
    )


def shipment_rows(shipments: Iterable[Any]) -> SafeString:
    """The shipments table's rows of a page of shipments."""
    url = url_parts("randomization:shipment_detail")
    labels = {
        "reason": labels_of(Shipment.Reason.choices),
        "status": labels_of(Shipment.Status.choices),
    }
    return rows_or_empty(
        (_row(s, url, labels) for s in shipments), columns=5, empty=gettext("No shipment.")
    )
