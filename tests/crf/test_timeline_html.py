"""crf.timeline_html writes the participant page's timeline rows as the template's loop
wrote them, byte for byte: links and status-only forms, repeated forms, today, ICU days,
French and English. Negative control: the translated "today" escaped (the template does
not escape a literal's translation: "aujourd'hui") reads differently."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from crf import timeline, timeline_html
from crf.services import save_baseline, save_daily, save_injection
from platinium.lib.study_time import paris_date
from tests.crf.helpers import baseline_data, d0_of, daily_data, injection_data, randomized

pytestmark = pytest.mark.django_db

# The loop of crf/participant_page.html that timeline_rows replaced.
TEMPLATE_LOOP = "{% load i18n study_days %}" + (
    '{% for day in timeline.days %}<tr class="tl-day{% if day.is_today %} today{% endif %}" id="day-{{ day.study_day }}">\n'  # noqa: E501
    '  <th scope="row">{{ day.study_day|study_day }}{% if day.is_today %} <span class="badge text-bg-primary">{% translate "today" %}</span>{% endif %}</th>\n'  # noqa: E501
    '  <td class="text-nowrap">{{ day.date|date:"Y-m-d" }}</td>\n'
    '  <td class="tl-icu">{% if day.in_icu %}{% translate "ICU" %}{% endif %}</td>\n'
    '  <td class="tl-items">{% for item in day.items %}{% if item.url %}<a href="{{ item.url }}" class="tl-form" data-form="{{ item.code }}" data-form-status="{{ item.status }}">{% else %}<span class="tl-form" data-form="{{ item.code }}" data-form-status="{{ item.status }}">{% endif %}{{ item.label }}{% if item.occurrence and item.occurrence > 1 %} {{ item.occurrence }}{% endif %} <span class="status status-{{ item.status }}" data-status="{{ item.status }}">{{ item.status_label }}</span>{% if item.url %}</a>{% else %}</span>{% endif %}{% endfor %}</td>\n'  # noqa: E501
    "</tr>{% endfor %}"
)


def _timeline(site11, role_users) -> timeline.Timeline:
    participant = randomized(site11, days_ago=12)
    inv, d0 = role_users["investigator"], d0_of(participant)
    save_baseline(participant, by=inv, data=baseline_data())
    for number in (1, 2):
        when = timezone.now() - timedelta(days=12 - number)
        save_injection(participant, number=number, by=inv, data=injection_data(participant, when))
    for n in range(4):
        save_daily(participant, day_date=d0 + timedelta(days=n), by=inv, data=daily_data())
    course = timeline.load_course(participant, inv)
    line = timeline.build_timeline(course, paris_date(timezone.now()))
    assert line is not None
    for n, item in enumerate(line.items):  # a link, a link with a query, or a status only
        item.url = ["", f"/crf/{participant.code}/x/?a=1&b=<{n}>", "/crf/y/"][n % 3]
        item.occurrence = [None, 1, 2, 1234][n % 4]  # a repeated form: "… 2"
    return line


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_rows_are_what_the_template_wrote(site11, role_users, language):
    line = _timeline(site11, role_users)
    with translation.override(language):
        expected = Template(TEMPLATE_LOOP).render(Context({"timeline": line}))
        assert timeline_html.timeline_rows(line.days) == expected
    assert "today" in expected.replace("aujourd", "today")  # a day is today
    assert "&amp;b=&lt;" in expected  # a URL escaped


def test_negative_control_an_escaped_translation_reads_differently(site11, role_users, monkeypatch):
    line = _timeline(site11, role_users)
    monkeypatch.setattr(timeline_html, "_safe", lambda text: text)  # format_html escapes it
    with translation.override("fr"):
        expected = Template(TEMPLATE_LOOP).render(Context({"timeline": line}))
        assert timeline_html.timeline_rows(line.days) != expected
