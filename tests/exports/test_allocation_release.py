"""Release of the unblinded allocation file (exports/release.py): the randomization
manager, after the database lock and the unblinding authorisation, re-authenticated,
through the rendered page; audited with the file's SHA-256, never the arms."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from randomization import arm_access
from randomization.models import Allocation
from tests.webform import submit

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"  # tests/factories.py
URL = reverse("exports:allocation_release")


def english_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def unblind(role_users: dict[str, Any]) -> None:
    from participants import locks
    from randomization.models import UnblindingAuthorisation

    locks.lock_database(by=role_users["data_manager"], reason="final lock")
    UnblindingAuthorisation.objects.create(
        recorded_by=role_users["randomization_manager"], reference="DSMB-2026-01"
    )


def released_rows(content: bytes) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sorted(archive.namelist()) == ["allocation.csv", "dictionary.csv"]
        return list(csv.DictReader(io.StringIO(archive.read("allocation.csv").decode())))


def test_the_randomization_manager_releases_participant_to_arm_after_lock(small_trial, role_users):
    unblind(role_users)
    manager = role_users["randomization_manager"]
    response = submit(
        english_client(manager), URL, form_id="release-form", changes={"password": PASSWORD}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    rows = released_rows(response.content)
    expected = {
        a.participant.code: arm_access._open(a.slot.arm_token)
        for a in Allocation.objects.select_related("participant", "slot")
    }
    assert {r["participant"]: r["arm"] for r in rows} == expected
    assert len(rows) == 3
    (event,) = AuditEvent.objects.filter(action="exports.allocation_released")
    assert event.actor_id == manager.pk
    assert event.data["sha256"] == hashlib.sha256(response.content).hexdigest()
    assert event.data["sha256"] == response["X-Content-SHA256"]
    # The audit trail never holds an arm.
    assert set(expected.values()).isdisjoint(str(v) for v in event.data.values())


def test_a_wrong_password_releases_nothing_and_is_audited(small_trial, role_users):
    unblind(role_users)
    response = submit(
        english_client(role_users["randomization_manager"]),
        URL,
        form_id="release-form",
        changes={"password": "wrong"},
    )
    assert response.status_code == 422
    assert "Your password is not correct" in response.content.decode()
    assert not AuditEvent.objects.filter(action="exports.allocation_released").exists()
    assert AuditEvent.objects.filter(action="reauthentication_failed").exists()


def test_before_the_database_lock_nothing_is_released(small_trial, role_users):
    from randomization.models import UnblindingAuthorisation

    manager = role_users["randomization_manager"]
    UnblindingAuthorisation.objects.create(recorded_by=manager, reference="DSMB-2026-01")
    client = english_client(manager)
    page = client.get(URL)
    assert page.status_code == 200
    assert "only after the database lock" in page.content.decode()
    assert 'id="release-form"' not in page.content.decode()
    # Posting anyway (a page opened before the lock was lifted) releases nothing.
    response = client.post(URL, {"password": PASSWORD})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="exports.allocation_released").exists()


@pytest.mark.parametrize("role", ["statistician", "data_manager", "investigator"])
def test_other_roles_are_refused_even_after_unblinding(small_trial, role_users, role):
    """The statistician may see the arm after C2, yet the release is the randomization
    manager's: 403, nothing audited as released."""
    unblind(role_users)
    response = english_client(role_users[role]).post(URL, {"password": PASSWORD})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="exports.allocation_released").exists()
