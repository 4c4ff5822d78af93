"""eligibility.log_html writes the screening log's rows as the template's loop wrote them,
byte for byte: every status, a participant or none, no screening date, failed and missing
criteria, text to escape, French and English, and the empty log. Negative control: a
screening date not put in the study's time zone first (the template's `date` filter is
given local time) reads differently."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from eligibility import log_html
from eligibility.models import Screening
from platinium.lib import rows_html
from tests.eligibility.factories import make_enrolled_participant, make_screening

pytestmark = pytest.mark.django_db

# The loop of eligibility/screening_list.html that screening_rows replaced.
TEMPLATE_LOOP = (
    "{% load i18n %}"
    "{% for s in screenings %}<tr>\n"
    "  <td><a href=\"{% url 'eligibility:screening_detail' s.pk %}\">{{ s.number }}</a></td><td>{{ s.site.code }}</td>\n"  # noqa: E501
    '  <td>{{ s.evaluated_at|date:"Y-m-d H:i"|default:"–" }}</td>\n'
    '  <td><span class="status status-{{ s.status }}">{{ s.get_status_display }}</span></td>\n'
    '  <td>{{ s.failed_codes|join:", " }}</td><td>{{ s.missing_codes|join:", " }}</td>\n'
    "  <td>{% if s.participant %}{{ s.participant.code }}{% endif %}</td>\n"
    '</tr>{% empty %}<tr><td colspan="7" class="text-muted">{% translate "No screening yet." %}</td></tr>{% endfor %}'  # noqa: E501
)
# 23:30 UTC is 00:30 the next day in Paris.
LATE_EVENING_UTC = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def _screenings(site) -> list[Screening]:
    make_screening(site)
    make_screening(site, eligible=False)
    make_screening(site, age=None)  # incomplete: a criterion is missing
    make_enrolled_participant(site)
    rows = list(
        Screening.objects.filter(site=site)
        .select_related("site", "participant")
        .order_by("-seq", "-pk")
    )
    assert {s.status for s in rows} >= {"eligible", "not_eligible", "incomplete", "enrolled"}
    assert any(s.failed_codes for s in rows) and any(s.missing_codes for s in rows)
    assert any(s.participant for s in rows) and any(not s.participant for s in rows)
    rows[0].evaluated_at = None
    rows[1].evaluated_at = LATE_EVENING_UTC
    rows[3].evaluated_at = datetime(987, 7, 4, 8, 5, tzinfo=UTC)  # a short year, padded
    rows[2].number = "<b>&'\""  # escaped in both
    rows[2].failed_codes = ["I1", "<E2>"]
    return rows


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_rows_are_what_the_template_wrote(site11, language):
    rows = _screenings(site11)
    with translation.override(language):
        expected = Template(TEMPLATE_LOOP).render(Context({"screenings": rows}))
        assert str(log_html.screening_rows(rows)) == expected
        empty = Template(TEMPLATE_LOOP).render(Context({"screenings": []}))
        assert str(log_html.screening_rows([])) == empty
    assert "2026-03-02 00:30" in expected  # the late evening in Paris
    assert "0987-07-04" in expected
    assert "&lt;b&gt;&amp;" in expected and "–" in expected


def test_negative_control_a_date_left_in_utc_reads_differently(site11, monkeypatch):
    rows = _screenings(site11)
    expected = Template(TEMPLATE_LOOP).render(Context({"screenings": rows}))
    monkeypatch.setattr(rows_html, "localtime", lambda value: value)
    written = str(log_html.screening_rows(rows))
    assert written != expected
    assert "2026-03-01 23:30" in written
