"""The screening log's rows written in Python, as the template's loop wrote them (50 rows
of seven cells: about 20 lookups a row, most of the page's time at 3,260 participants,
issue #13). tests/eligibility/test_log_html.py compares both byte for byte."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from eligibility.models import Screening
from platinium.lib.rows_html import url_parts, when_text

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
    # As get_status_display(), translated once a page rather than once a row.
    labels = {value: str(label) for value, label in Screening.Status.choices}
    rows = format_html_join("", "{}", ((_row(s, url, labels),) for s in screenings))
    if rows:
        return rows
    return format_html(
        '<tr><td colspan="7" class="text-muted">{}</td></tr>',
        mark_safe(gettext("No screening yet.")),  # noqa: S308 (the catalogue's text, as the template)
    )
