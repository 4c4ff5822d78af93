"""The arm of an emergency unblinding is shown once, and only within 5 minutes of it
(reliability issue: the display window must be tested with time advanced, not assumed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from randomization import arm_access
from randomization.models import EmergencyUnblinding
from tests.randomization.factories import make_randomized_participant

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def recorded(site11: Any, role_users: dict[str, Any]) -> EmergencyUnblinding:
    participant = make_randomized_participant(site11)
    return EmergencyUnblinding.objects.create(
        participant=participant,
        site=site11,
        unblinded_by=role_users["investigator"],
        reason="anaphylaxis",
        unblinded_at=timezone.now(),
    )


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Freeze the clock arm_access reads (django.utils.timezone.now) at `moment`."""
    monkeypatch.setattr(timezone, "now", lambda: moment)


def arm_shown_after(
    monkeypatch: pytest.MonkeyPatch, unblinding: EmergencyUnblinding, user: Any, elapsed: timedelta
) -> str | None:
    """The arm handed out `elapsed` after the unblinding was recorded, or None if refused."""
    _at(monkeypatch, unblinding.unblinded_at + elapsed)
    fresh = EmergencyUnblinding.objects.select_for_update().get(pk=unblinding.pk)
    try:
        return arm_access.emergency_arm(fresh, user=user)
    except PermissionDenied:
        return None


def test_the_arm_is_shown_within_five_minutes_then_never_again(recorded, role_users, monkeypatch):
    investigator = role_users["investigator"]
    arm = arm_shown_after(monkeypatch, recorded, investigator, timedelta(minutes=4, seconds=59))
    assert arm in {"A", "B"}
    recorded.refresh_from_db()
    assert recorded.arm_shown_at == recorded.unblinded_at + timedelta(minutes=4, seconds=59)
    # Once shown, never again, even inside the window.
    assert (
        arm_shown_after(monkeypatch, recorded, investigator, timedelta(minutes=4, seconds=59))
        is None
    )


@pytest.mark.parametrize(
    "elapsed",
    [timedelta(minutes=5, seconds=1), timedelta(minutes=30), timedelta(days=2)],
)
def test_after_five_minutes_the_arm_is_no_longer_shown(recorded, role_users, monkeypatch, elapsed):
    assert arm_shown_after(monkeypatch, recorded, role_users["investigator"], elapsed) is None
    recorded.refresh_from_db()
    assert recorded.arm_shown_at is None  # nothing was handed out


def test_exactly_five_minutes_is_still_inside_the_window(recorded, role_users, monkeypatch):
    arm = arm_shown_after(monkeypatch, recorded, role_users["investigator"], timedelta(minutes=5))
    assert arm in {"A", "B"}


def test_negative_control_a_removed_window_is_detected(recorded, role_users, monkeypatch):
    # The mutation: the window check made ineffective. The check above must then fail.
    monkeypatch.setattr(arm_access, "EMERGENCY_DISPLAY_WINDOW", timedelta(days=3650))
    late = arm_shown_after(monkeypatch, recorded, role_users["investigator"], timedelta(minutes=30))
    assert late is not None, "the late-display check would not catch a removed window"
