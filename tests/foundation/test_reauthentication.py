"""One re-authentication for every signature-like action (accounts.reauth), proven through
the rendered pages of each action that uses it: same refusal, same audit, same lockout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.dispatch import Signal
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import reauth
from audit.models import AuditEvent
from eligibility.models import Screening
from randomization.models import EmergencyUnblinding
from tests.eligibility.factories import consent, make_screening
from tests.randomization.factories import make_randomized_participant
from tests.webform import form_in, submit

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"  # tests.factories.UserFactory
WRONG_PASSWORD_FR = "Votre mot de passe n&#x27;est pas correct : rien n&#x27;a été fait."
WRONG_CODE_FR = (
    "Le code de votre application d&#x27;authentification n&#x27;est pas correct : "
    "rien n&#x27;a été fait."
)
LOCKED_FR = "Trop de tentatives"


@dataclass
class Action:
    purpose: str
    url: str
    extra: dict[str, str]  # what the user types besides the credentials
    done: Callable[[], bool]


def _enrolment(site11: Any, user: Any) -> Action:
    screening = make_screening(site11, by=user)
    consent(screening, by=user)
    return Action(
        purpose="enrolment",
        url=reverse("eligibility:enrol", args=[screening.pk]),
        extra={},
        done=lambda: Screening.objects.get(pk=screening.pk).participant_id is not None,
    )


def _unblinding(site11: Any, user: Any) -> Action:
    participant = make_randomized_participant(site11)
    return Action(
        purpose="emergency_unblinding",
        url=reverse("randomization:unblind", args=[participant.code]),
        extra={"reason": "anaphylaxis"},
        done=lambda: EmergencyUnblinding.objects.filter(participant=participant).exists(),
    )


@pytest.fixture(params=[_enrolment, _unblinding], ids=["enrolment", "unblinding"])
def action(request: pytest.FixtureRequest, site11: Any, role_users: dict[str, Any]) -> Action:
    return request.param(site11, role_users["investigator"])


@pytest.fixture
def investigator(client_for: Callable[[str], Client]) -> Client:
    return client_for("investigator")


def _sign(client: Client, action: Action, **credentials: str) -> Any:
    return submit(
        client, action.url, containing="password", changes={**action.extra, **credentials}
    )


def _failures(username: str) -> int:
    attempt = AccessAttempt.objects.filter(username=username).first()
    return attempt.failures_since_start if attempt else 0


def _login(username: str, password: str) -> Any:
    return Client().post(reverse("accounts:login"), {"username": username, "password": password})


def test_a_wrong_password_is_refused_in_french_audited_counted_and_nothing_done(
    action: Action, investigator: Client, role_users: dict[str, Any]
) -> None:
    response = _sign(investigator, action, password="not-my-password")
    assert response.status_code in (200, 422)
    assert WRONG_PASSWORD_FR in response.content.decode()
    assert not action.done()
    (event,) = AuditEvent.objects.filter(action="reauthentication_failed")
    assert event.data == {"purpose": action.purpose, "failed": "password"}
    assert event.actor == role_users["investigator"]
    assert _failures("investigator") == 1


def test_the_right_password_does_it_and_audits_no_failure(
    action: Action, investigator: Client
) -> None:
    response = _sign(investigator, action, password=PASSWORD)
    assert response.status_code in (200, 302)
    assert action.done()
    assert not AuditEvent.objects.filter(action="reauthentication_failed").exists()


def _fail_five_times_mixed(client: Client, action: Action) -> None:
    for _ in range(2):
        assert _login("investigator", "not-my-password").status_code != 302
    for _ in range(3):
        _sign(client, action, password="not-my-password")


def test_five_failures_mixed_between_login_and_reauthentication_lock_the_user_out(
    action: Action, investigator: Client
) -> None:
    _fail_five_times_mixed(investigator, action)
    assert _failures("investigator") == 5
    # Locked out of re-authentication, even with the right password …
    response = _sign(investigator, action, password=PASSWORD)
    assert LOCKED_FR in response.content.decode()
    assert not action.done()
    # … and out of the login page.
    assert _login("investigator", PASSWORD).status_code == 429


def test_negative_control_the_lockout_needs_the_failures_to_be_counted(
    action: Action, investigator: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the signal to axes removed from reauth, five failures no longer lock anyone
    out: the test above would catch a re-authentication that forgets to count."""
    monkeypatch.setattr(reauth, "user_login_failed", Signal())
    _fail_five_times_mixed(investigator, action)
    assert _failures("investigator") == 2
    _sign(investigator, action, password=PASSWORD)
    assert action.done()


def _device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{(totp(device.bin_key) + offset) % 1_000_000:06d}"


def test_with_an_authenticator_the_page_asks_for_the_code_and_refuses_a_missing_one(
    action: Action, investigator: Client, role_users: dict[str, Any]
) -> None:
    page = investigator.get(action.url).content
    assert "token" not in form_in(page, containing="password").names()
    _device(role_users["investigator"])
    page = investigator.get(action.url).content
    assert "token" in form_in(page, containing="password").names()
    response = _sign(investigator, action, password=PASSWORD)
    assert WRONG_CODE_FR in response.content.decode()
    assert not action.done()
    (event,) = AuditEvent.objects.filter(action="reauthentication_failed")
    assert event.data == {"purpose": action.purpose, "failed": "token"}
    assert _failures("investigator") == 1


def test_with_an_authenticator_a_wrong_code_is_refused_and_the_right_one_accepted(
    action: Action, investigator: Client, role_users: dict[str, Any], settings: Any
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no back-off between the two tries of the test
    device = _device(role_users["investigator"])
    wrong = _sign(investigator, action, password=PASSWORD, token=_code(device, 500_000))
    assert WRONG_CODE_FR in wrong.content.decode()
    assert not action.done()
    assert _failures("investigator") == 1
    right = _sign(investigator, action, password=PASSWORD, token=_code(device))
    assert right.status_code in (200, 302)
    assert action.done()


def test_a_right_code_with_a_wrong_password_is_still_refused(
    action: Action, investigator: Client, role_users: dict[str, Any]
) -> None:
    device = _device(role_users["investigator"])
    response = _sign(investigator, action, password="not-my-password", token=_code(device))
    assert WRONG_PASSWORD_FR in response.content.decode()
    assert not action.done()
