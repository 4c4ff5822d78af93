"""The screening log's rows written in Python, as the template's loop wrote them (50 rows
of seven cells: about 20 lookups a row, most of the page's time at 3,260 participants,
issue #13). tests/eligibility/test_log_html.py compares both byte for byte."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from eligibility.models import Screening
from platinium.lib.rows_html import labels_of, rows_or_empty, url_parts, when_text

# What the rows read (the log's query loads only these).
COLUMNS = (
    "number",
    "evaluated_at",
    "status",
    "failed_codes",
    "missing_codes",
    "site__code",
    "participant__code",
)


def _row(screening: Any, url: tuple[str, str], labels: dict[str, str]) -> SafeString:
    participant = screening.participant
    return format_html(
        "<tr>\n"
        '  <td><a href="{}{}{}">{}</a></td><td>{}</td>\n'
        "  <td>{}</td>\n"
        '  <td><span class="status status-{}">{}</span></td>\n'
        "  <td>{}</td><td>{}</td>\n"
        "  <td>{}</td>\n"
        "</tr>",
        url[0],
        screening.pk,
        url[1],
        screening.number,
        screening.site.code,
        when_text(screening.evaluated_at, blank="–"),
        screening.status,
        labels.get(screening.status, screening.status),
        ", ".join(screening.failed_codes),
        ", ".join(screening.missing_codes),
        participant.code if participant else "",
    )


def screening_rows(screenings: Iterable[Any]) -> SafeString:
    """The table body's rows of a page of screenings (select_related site, participant)."""
    url = url_parts("eligibility:screening_detail")
    labels = labels_of(Screening.Status.choices)
    return rows_or_empty(
        (_row(s, url, labels) for s in screenings), columns=7, empty=gettext("No screening yet.")
    )
