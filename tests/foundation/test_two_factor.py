"""With 2FA required, a session is usable only after a TOTP verification (every role)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.access.harness import ROLE_KEYS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_2fa")]


@pytest.fixture
def require_2fa():  # type: ignore[no-untyped-def]
    with override_settings(PLATINIUM_REQUIRE_2FA=True):
        yield


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{(totp(device.bin_key) + offset) % 1_000_000:06d}"


@pytest.mark.parametrize("role", ROLE_KEYS)
def test_unverified_user_is_sent_to_two_factor_from_home(role: str, client_for) -> None:
    response = client_for(role).get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:two_factor"))


def test_user_management_is_not_reachable_before_verification(client_for) -> None:
    """/accounts/users/ lives under /accounts/ but is not part of the login flow."""
    client = client_for("admin")
    for url in (reverse("accounts:user_list"), reverse("accounts:user_create")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:two_factor"))


def test_setup_shows_a_qr_code_and_a_correct_code_unlocks_the_session(
    client_for, role_users: dict[str, Any]
) -> None:
    client = client_for("investigator")
    first = client.get(reverse("accounts:two_factor"))
    assert 'name="start"' in first.content.decode()
    assert not TOTPDevice.objects.filter(user=role_users["investigator"]).exists()
    started = client.post(reverse("accounts:two_factor"), {"start": "1"})
    assert started.status_code == 302
    page = client.get(started["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r"<svg[^>]*>", html)
    assert 'id="totp-secret"' in html
    device = TOTPDevice.objects.get(user=role_users["investigator"])
    assert not device.confirmed
    response = client.post(reverse("accounts:two_factor"), {"token": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200


def test_wrong_code_is_refused_with_a_message(client_for, role_users) -> None:
    client = client_for("monitor")
    client.post(reverse("accounts:two_factor"), {"start": "1"})
    device = TOTPDevice.objects.get(user=role_users["monitor"])
    response = client.post(reverse("accounts:two_factor"), {"token": _code(device, 500_000)})
    assert response.status_code == 200
    assert "Ce code n&#x27;est pas valide" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302
    malformed = client.post(reverse("accounts:two_factor"), {"token": "12ab56"})
    assert malformed.status_code == 200
    assert "6 chiffres" in malformed.content.decode()


def test_next_login_asks_for_a_code_without_showing_the_qr_again(client_for, role_users) -> None:
    first = client_for("data_manager")
    first.post(reverse("accounts:two_factor"), {"start": "1"})
    device = TOTPDevice.objects.get(user=role_users["data_manager"])
    first.post(reverse("accounts:two_factor"), {"token": _code(device)})
    second = client_for("data_manager")
    html = second.get(reverse("accounts:two_factor")).content.decode()
    assert "<svg" not in html
    assert 'id="totp-secret"' not in html
    assert second.get(reverse("home")).status_code == 302


def test_after_verification_the_user_returns_to_the_page_asked_for(client_for, role_users) -> None:
    client = client_for("coordinator")
    redirect = client.get(reverse("participants:list"))["Location"]
    assert client.post(redirect, {"start": "1"})["Location"] == redirect
    device = TOTPDevice.objects.get(user=role_users["coordinator"])
    response = client.post(redirect, {"token": _code(device)})
    assert response["Location"] == reverse("participants:list")


def test_logging_in_through_the_form_prepares_the_set_up_and_the_page_shows_it(
    role_users: dict[str, Any],
) -> None:
    from django.test import Client

    user = role_users["pharmacist"]
    user.set_password("a-long-password-1")
    user.save()
    client = Client()
    client.post(
        reverse("accounts:login"), {"username": user.username, "password": "a-long-password-1"}
    )
    assert TOTPDevice.objects.filter(user=user, confirmed=False).count() == 1
    html = client.get(reverse("accounts:two_factor")).content.decode()
    assert 'id="totp-secret"' in html and 'name="start"' not in html


def test_negative_control_without_the_setting_home_answers(client_for) -> None:
    with override_settings(PLATINIUM_REQUIRE_2FA=False):
        assert client_for("investigator").get(reverse("home")).status_code == 200
