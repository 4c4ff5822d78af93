"""The participant page's timeline rows written in Python, as the template's loop wrote
them (a day a row, a link or a status per form: a few hundred template lookups for a long
stay). tests/crf/test_timeline_html.py compares both byte for byte."""

from __future__ import annotations

from typing import Any

from django.template.defaultfilters import date as date_filter
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from crf.templatetags.study_days import study_day_label


def _safe(translated: str) -> SafeString:
    # As {% translate "…" %}: a literal of the template is safe, so is its translation.
    return mark_safe(translated)  # noqa: S308 (the catalogue's text, as the template)


def _item(item: Any) -> str:
    tag = "a" if item.url else "span"
    opening = (
        format_html('<a href="{}" class="tl-form"', item.url)
        if item.url
        else mark_safe('<span class="tl-form"')
    )
    occurrence = (
        f" {conditional_escape(localize(item.occurrence))}"
        if item.occurrence and item.occurrence > 1
        else ""
    )
    return format_html(
        '{} data-form="{}" data-form-status="{}">{}{} '
        '<span class="status status-{}" data-status="{}">{}</span></{}>',
        opening,
        item.code,
        item.status,
        item.label,
        mark_safe(occurrence),  # noqa: S308 (escaped)
        item.status,
        item.status,
        item.status_label,
        tag,
    )


def _day(day: Any, today: str) -> str:
    return format_html(
        '<tr class="tl-day{}" id="day-{}">\n'
        '  <th scope="row">{}{}</th>\n'
        '  <td class="text-nowrap">{}</td>\n'
        '  <td class="tl-icu">{}</td>\n'
        '  <td class="tl-items">{}</td>\n'
        "</tr>",
        " today" if day.is_today else "",
        localize(day.study_day),
        study_day_label(day.study_day),
        mark_safe(today) if day.is_today else "",  # noqa: S308 (format_html below)
        date_filter(day.date, "Y-m-d"),
        _safe(gettext("ICU")) if day.in_icu else "",
        mark_safe("".join(_item(item) for item in day.items)),  # noqa: S308 (format_html)
    )


def timeline_rows(days: list[Any]) -> SafeString:
    """`{% for day in timeline.days %}…{% endfor %}` of crf/participant_page.html."""
    today = format_html(' <span class="badge text-bg-primary">{}</span>', _safe(gettext("today")))
    return mark_safe("".join(_day(day, today) for day in days))  # noqa: S308 (format_html)
