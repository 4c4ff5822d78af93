"""randomization.pharmacy_html writes the pharmacy page's shipment rows as the template's
loop wrote them, byte for byte: every status and reason (a requested shipment without a
link), text to escape, a late evening in UTC, French and English, and no shipment.
Negative control: a link on a shipment still only requested reads differently."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from randomization import pharmacy_html
from randomization.models import Shipment

pytestmark = pytest.mark.django_db

# The loop of randomization/pharmacy_home.html that shipment_rows replaced.
TEMPLATE_LOOP = (
    "{% load i18n %}"
    '{% for s in shipments %}<tr><td>{% if s.status != "requested" %}<a href="{% url \'randomization:shipment_detail\' s.pk %}">{{ s.number }}</a>{% else %}{{ s.number }}{% endif %}</td><td>{{ s.get_reason_display }}</td><td>{{ s.kit_total }}</td><td><span class="status status-{{ s.status }}">{{ s.get_status_display }}</span></td><td>{{ s.requested_at|date:"Y-m-d" }}</td></tr>\n'  # noqa: E501
    '{% empty %}<tr><td colspan="5" class="text-muted">{% translate "No shipment." %}</td></tr>{% endfor %}'  # noqa: E501
)


def _shipments(site) -> list[Shipment]:
    rows = []
    for n, status in enumerate(Shipment.Status.values):
        reason = Shipment.Reason.values[n % 2]
        rows.append(
            Shipment(
                pk=n + 1,
                number=f"SH-11-{n:04d}",
                site=site,
                reason=reason,
                kits_per_arm=n + 1,
                status=status,
                # 23:30 UTC: the next day in Paris.
                requested_at=datetime(2026, 3, 1 + n, 23, 30, tzinfo=UTC),
            )
        )
    rows[1].number = "<SH&'\">"
    return rows


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_rows_are_what_the_template_wrote(site11, language):
    rows = _shipments(site11)
    with translation.override(language):
        expected = Template(TEMPLATE_LOOP).render(Context({"shipments": rows}))
        assert str(pharmacy_html.shipment_rows(rows)) == expected
        empty = Template(TEMPLATE_LOOP).render(Context({"shipments": []}))
        assert str(pharmacy_html.shipment_rows([])) == empty
    assert "2026-03-02" in expected and "&lt;SH&amp;" in expected
    assert expected.count("<a href=") == len(rows) - 1  # the requested one has no link


def test_negative_control_a_link_on_a_requested_shipment_reads_differently(site11, monkeypatch):
    rows = _shipments(site11)
    expected = Template(TEMPLATE_LOOP).render(Context({"shipments": rows}))
    monkeypatch.setattr(
        pharmacy_html,
        "_number",
        lambda s, url: pharmacy_html.format_html(
            '<a href="{}{}{}">{}</a>', *url[:1], s.pk, url[1], s.number
        ),
    )
    assert str(pharmacy_html.shipment_rows(rows)) != expected
