"""The demo seed verifies and signs one casebook through the services, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from monitoring.models import CasebookSignature, Verification

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=True, PLATINIUM_ENV="UAT")
def test_the_demo_has_a_verified_and_signed_casebook_and_a_second_run_adds_nothing():
    call_command("seed_demo", stdout=StringIO())
    verifications, signatures = Verification.objects.count(), CasebookSignature.objects.count()
    assert verifications > 0 and signatures == 1
    call_command("seed_demo", stdout=StringIO())
    assert Verification.objects.count() == verifications
    assert CasebookSignature.objects.count() == signatures
