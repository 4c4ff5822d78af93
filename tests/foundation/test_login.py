"""The login page: clear messages, lockout, disabled accounts, CSRF, Argon2, 12 characters."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from accounts.forms import UserCreateForm

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
WRONG = "Identifiant inconnu ou mot de passe incorrect."


def _login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_correct_password_logs_in_and_goes_home(role_users) -> None:
    response = _login(Client(), "investigator", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_and_unknown_user_get_the_same_clear_message(role_users) -> None:
    wrong_password = _login(Client(), "investigator", "not-the-password")
    unknown_user = _login(Client(), "nobody-here", "not-the-password")
    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert WRONG in response.content.decode()
    assert wrong_password.context["form"].errors == unknown_user.context["form"].errors


def test_empty_login_form_is_a_form_error_not_a_500(role_users) -> None:
    response = Client().post(reverse("accounts:login"), {})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_five_failures_lock_the_account_even_with_the_right_password(role_users) -> None:
    client = Client()
    for _attempt in range(4):
        assert _login(client, "coordinator", "wrong-password").status_code == 200
    locked = _login(client, "coordinator", "wrong-password")
    assert locked.status_code == 429
    assert "locked" in locked.content.decode()
    again = _login(Client(), "coordinator", PASSWORD)  # another machine, right password
    assert again.status_code == 429
    assert 'id="locked-out"' in again.content.decode()
    # Lock is by username only: a colleague behind the same hospital IP still logs in.
    assert _login(client, "investigator", PASSWORD).status_code == 302


def test_four_failures_do_not_lock(role_users) -> None:
    """Negative control for the lockout threshold."""
    client = Client()
    for _attempt in range(4):
        _login(client, "monitor", "wrong-password")
    assert _login(client, "monitor", PASSWORD).status_code == 302


def test_failed_login_is_audited_without_the_password(role_users) -> None:
    from audit.models import AuditEvent

    _login(Client(), "monitor", "secret-typed-wrong")
    event = AuditEvent.objects.get(action="login_failed")
    assert event.data == {"username": "monitor"}
    assert "secret-typed-wrong" not in str(event.data)


def test_disabled_account_gets_the_disabled_message(role_users) -> None:
    user = role_users["pharmacist"]
    user.is_active = False
    user.save()
    response = _login(Client(), "pharmacist", PASSWORD)
    assert response.status_code == 200
    assert "Ce compte est désactivé" in response.content.decode()
    # Without the password, nobody learns the account exists and is disabled.
    guessed = _login(Client(), "pharmacist", "wrong-password")
    assert "désactivé" not in guessed.content.decode()
    assert WRONG in guessed.content.decode()


def test_missing_csrf_token_gets_our_403_page_with_a_message(role_users) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Votre formulaire a expiré" in response.content.decode()
    assert "<html" in response.content.decode()  # our page, not Django's bare one


def test_argon2_is_the_first_password_hasher_in_production_settings() -> None:
    import platinium.settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        assert make_password(PASSWORD).startswith("argon2$")


def test_passwords_need_at_least_12_characters() -> None:
    with pytest.raises(ValidationError):
        validate_password("Xq7#pL2!mZ4")  # 11 characters
    validate_password("Xq7#pL2!mZ4w")  # 12 characters
    form = UserCreateForm(
        {"username": "nurse", "email": "n@example.org", "password": "Xq7#pL2!mZ4"}
    )
    assert not form.is_valid()
    assert "password" in form.errors
