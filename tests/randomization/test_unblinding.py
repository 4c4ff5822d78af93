"""Emergency unblinding, and who may ever read an arm (arm_access)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEvent
from participants import locks
from randomization import arm_access
from randomization.models import EmergencyUnblinding, Notification
from randomization.services.unblinding import record_unblinding_authorisation, unblind_emergency
from tests.randomization.factories import make_randomized_participant

pytestmark = [pytest.mark.django_db]
PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory


@pytest.fixture
def randomized(site11):
    site11.principal_investigator_email = "pi@chu-limoges.invalid"
    site11.save()
    return make_randomized_participant(site11)


def test_the_investigator_sees_the_arm_once_with_no_store_and_everyone_is_notified(
    randomized, client_for, role_users, django_capture_on_commit_callbacks, settings
):
    client = client_for("investigator")
    url = reverse("randomization:unblind", args=[randomized.code])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "anaphylaxis", "password": PASSWORD})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    arm = arm_access.arm_of_slot(
        randomized.allocation.slot, user=role_users["randomization_manager"]
    )
    assert f"<strong>{arm}</strong>" in response.content.decode()
    unblinding = EmergencyUnblinding.objects.get()
    assert unblinding.arm_shown_at is not None and unblinding.reason == "anaphylaxis"
    event = AuditEvent.objects.get(action="randomization.emergency_unblinding")
    assert event.reason == "anaphylaxis" and arm not in str(event.data)
    assert Notification.objects.get(kind="unblinding").sent_at is not None
    (email,) = mail.outbox
    assert set(email.to) == {
        "pi@chu-limoges.invalid",
        settings.PLATINIUM_VIGILANCE_EMAIL,
        settings.PLATINIUM_TRIAL_MANAGER_EMAIL,
    }
    assert randomized.code in email.body
    # No arm in the message, whichever arm it is.
    for text in (email.subject, email.body):
        assert f": {arm}\n" not in text and f" {arm} " not in text
    # Shown once: the same unblinding cannot hand the arm out again.
    with pytest.raises(PermissionDenied):
        arm_access.emergency_arm(unblinding, user=role_users["investigator"])
    # The page never shows it on GET.
    again = client.get(url)
    assert b'id="unblinded-arm"' not in again.content


def test_a_wrong_password_unblinds_nothing(randomized, client_for):
    response = client_for("investigator").post(
        reverse("randomization:unblind", args=[randomized.code]),
        {"reason": "x", "password": "wrong"},
    )
    assert response.status_code == 200
    assert b'id="unblinded-arm"' not in response.content
    assert not EmergencyUnblinding.objects.exists()


def test_a_reason_is_required(randomized, client_for):
    response = client_for("investigator").post(
        reverse("randomization:unblind", args=[randomized.code]),
        {"reason": "", "password": PASSWORD},
    )
    assert not EmergencyUnblinding.objects.exists() and response.status_code == 200


@pytest.mark.parametrize(
    "role",
    [
        "coordinator",
        "pharmacist",
        "monitor",
        "data_manager",
        "statistician",
        "randomization_manager",
        "admin",
    ],
)
def test_no_other_role_can_unblind(role, randomized, role_users):
    with pytest.raises(PermissionDenied):
        unblind_emergency(randomized, by=role_users[role], reason="x", password=PASSWORD)


def test_an_investigator_of_another_site_cannot_unblind(randomized, role_users):
    with pytest.raises(PermissionDenied):
        unblind_emergency(
            randomized, by=role_users["investigator_nantes"], reason="x", password=PASSWORD
        )


def test_monitors_and_data_managers_see_the_log_without_the_arm(randomized, role_users, client_for):
    unblind_emergency(randomized, by=role_users["investigator"], reason="sepsis", password=PASSWORD)
    for role in ("monitor", "data_manager"):
        html = client_for(role).get(reverse("randomization:unblinding_log")).content.decode()
        assert randomized.code in html and "sepsis" in html
        assert "Treatment arm" not in html


@pytest.mark.parametrize(
    "role",
    [
        "investigator",
        "coordinator",
        "pharmacist",
        "monitor",
        "data_manager",
        "statistician",
        "admin",
    ],
)
def test_arm_access_refuses_every_blinded_role(role, randomized, role_users):
    with pytest.raises(PermissionDenied):
        arm_access.arm_of_slot(randomized.allocation.slot, user=role_users[role])


def test_the_statistician_reads_arms_only_after_lock_and_authorisation(
    randomized, role_users, client_for
):
    stat, dm = role_users["statistician"], role_users["data_manager"]
    url = reverse("randomization:unblinded_allocations")
    locks.lock_database(by=dm, reason="final lock")
    with pytest.raises(PermissionDenied):
        arm_access.arm_of_slot(randomized.allocation.slot, user=stat)
    assert client_for("statistician").get(url).status_code == 403
    record_unblinding_authorisation(by=dm, reference="SPONSOR-2028-01")
    assert arm_access.arm_of_slot(randomized.allocation.slot, user=stat) in {"A", "B"}
    response = client_for("statistician").get(url)
    assert response.status_code == 200 and randomized.code in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_key_can_come_from_the_key_file(randomized, role_users, settings, tmp_path):
    key_file = tmp_path / "arm.key"
    key_file.write_text(settings.PLATINIUM_ARM_KEY + "\n")
    settings.PLATINIUM_ARM_KEY = ""
    settings.PLATINIUM_ARM_KEY_FILE = str(key_file)
    assert arm_access.arm_of_slot(
        randomized.allocation.slot, user=role_users["randomization_manager"]
    ) in {"A", "B"}
    settings.PLATINIUM_ARM_KEY_FILE = str(tmp_path / "missing")
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        arm_access.seal("A")


def test_only_arm_access_decrypts(tmp_path):
    """Static check: no other module of the project calls the decryption function."""
    from pathlib import Path

    from django.conf import settings

    offenders = []
    for path in Path(settings.BASE_DIR).rglob("*.py"):
        rel = path.relative_to(settings.BASE_DIR).as_posix()
        if rel.startswith((".venv", "tests/", ".data", "bench/")) or rel in {
            "randomization/arm_access.py",
            "randomization/arm_cipher.py",
        }:
            continue
        if "decrypt_arm" in path.read_text(encoding="utf-8", errors="ignore"):
            offenders.append(rel)
    assert offenders == []
