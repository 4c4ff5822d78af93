"""What the templates' filters wrote in the table rows now written in Python (the screening
log, the pharmacy lists: issue #13), byte for byte as the template wrote them."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
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
