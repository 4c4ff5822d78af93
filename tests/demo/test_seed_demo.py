"""`manage.py seed_demo` (demo app): the pharmacy dispenses every allocated kit."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from participants.models import Participant
from randomization.models import Kit

pytestmark = pytest.mark.django_db


def _left_to_dispense() -> list[str]:
    return list(
        Kit.objects.filter(
            status=Kit.Status.ALLOCATED, participant__allocation__isnull=False
        ).values_list("code", flat=True)
    )


@override_settings(DEBUG=True, PLATINIUM_ENV="UAT")
def test_no_randomized_demo_participant_is_left_with_a_kit_to_dispense():
    call_command("seed_demo", stdout=StringIO())
    randomized = Participant.objects.filter(allocation__isnull=False)
    assert randomized.exists()
    assert _left_to_dispense() == []
    assert Kit.objects.filter(participant__in=randomized, status=Kit.Status.DISPENSED).count() == (
        randomized.count()
    )


@override_settings(DEBUG=True, PLATINIUM_ENV="UAT")
def test_without_the_dispensing_step_kits_would_be_left_to_dispense(monkeypatch):
    # Negative control: the randomization demo alone leaves the kits allocated (defect
    # 6c); the check above detects it.
    monkeypatch.setattr("demo.seed.dispense_everything_allocated", lambda: 0)
    call_command("seed_demo", stdout=StringIO())
    assert _left_to_dispense() != []
