"""demo.clock: the services see the simulated moment, and only inside the builder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.utils import timezone

from audit.models import AuditEvent
from demo.clock import SimulatedClock

MOMENT = datetime(2025, 9, 1, 8, 30, tzinfo=UTC)


def _defaults_of_now() -> list[str]:
    return [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.default is timezone.now
    ]


def test_inside_the_clock_now_and_field_defaults_give_the_moment():
    with SimulatedClock().installed() as clock, clock.at(MOMENT):
        assert timezone.now() == MOMENT
        assert timezone.localdate() == MOMENT.date()
        # A `default=timezone.now` keeps the real function: the clock swaps it too.
        assert AuditEvent(action="x").occurred_at == MOMENT


def test_after_the_clock_everything_is_real_again():
    expected = _defaults_of_now()
    assert "audit.AuditEvent.occurred_at" in expected
    with SimulatedClock().installed() as clock, clock.at(MOMENT):
        assert _defaults_of_now() == []
    assert _defaults_of_now() == expected
    assert timezone.now() > MOMENT.replace(year=2026)
    assert AuditEvent(action="x").occurred_at > MOMENT.replace(year=2026)


@pytest.mark.django_db
def test_a_service_write_inside_the_clock_is_stamped_with_the_moment(role_users):
    from audit.services import record

    with SimulatedClock().installed() as clock, clock.at(MOMENT):
        event = record("demo.test", by=role_users["admin"])
    event.refresh_from_db()
    assert event.occurred_at == MOMENT
