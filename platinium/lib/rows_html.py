"""What the templates' filters wrote in the table rows now written in Python (the screening
log, the pharmacy lists: issue #13), byte for byte as the template wrote them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

_MARK = 739_104_281_739


def when_text(moment: datetime | None, *, minutes: bool = True, blank: str = "") -> str:
    """As `{{ moment|date:"Y-m-d H:i" }}` (or "Y-m-d" without `minutes`), which the
    template gives in local time; `blank` for no moment (the date filter writes "")."""
    if moment is None:
        return blank
    local = localtime(moment)
    day = f"{local.year:04d}-{local:%m-%d}"
    return f"{day} {local:%H:%M}" if minutes else day


def url_parts(name: str) -> tuple[str, str]:
    """The URL of `name` (one integer argument: a row's id) before and after the id: one
    reverse() for a page of rows rather than one a row."""
    before, _, after = reverse(name, args=[_MARK]).partition(str(_MARK))
    return before, after


def labels_of(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """As get_…_display(): each choice's label, translated once a page rather than a row."""
    return {value: str(label) for value, label in choices}


def rows_or_empty(rows: Iterable[SafeString], *, columns: int, empty: str) -> SafeString:
    """The rows, or the `{% empty %}` row: `empty` (a translated literal of the template,
    which `{% translate %}` does not escape) across `columns` columns."""
    written = format_html_join("", "{}", ((row,) for row in rows))
    if written:
        return written
    return format_html(
        '<tr><td colspan="{}" class="text-muted">{}</td></tr>',
        columns,
        mark_safe(empty),  # noqa: S308 (the catalogue's text, as the template)
    )
