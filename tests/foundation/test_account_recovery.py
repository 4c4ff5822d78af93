"""Accounts that recover (issue #11, docs/decisions/0029): "forgot password" by e-mail,
the administrator's unlock and reset link, the lockout page that says whom to contact."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests import webform

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"
NEW_PASSWORD = "Tres-longue-phrase-secrete-42"
LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/[^\s]+/)")


def _login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def _ask_for_link(client: Client, email: str) -> Any:
    return webform.submit(
        client,
        reverse("accounts:password_reset"),
        containing="email",
        changes={"email": email},
        follow=True,
    )


def _link_in(message: Any) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def _choose_password(client: Client, link: str, password: str) -> Any:
    """Open the e-mailed link (Django moves the token to the session and redirects), then
    fill the new-password form as the page renders it."""
    opened = client.get(link)
    assert opened.status_code == 302
    return webform.submit(
        client,
        opened["Location"],
        containing="new_password1",
        changes={"new_password1": password, "new_password2": password},
        follow=True,
    )


def _main(response: Any) -> str:
    """The page's content, without the per-client CSRF token of the language switcher."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", main)


def _lock(username: str) -> None:
    client = Client()
    for _attempt in range(5):
        _login(client, username, "wrong-password")
    assert _login(Client(), username, PASSWORD).status_code == 429


def test_forgot_password_journey_from_the_login_page(role_users: dict[str, Any]) -> None:
    user = role_users["investigator"]
    client = Client()
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("accounts:password_reset") in login_page
    assert "Mot de passe oublié" in login_page

    sent = _ask_for_link(client, user.email.upper())  # addresses match whatever the case
    assert 'id="reset-sent"' in sent.content.decode()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "nouveau mot de passe" in message.subject  # French: the user's language
    assert "code de votre application" in message.body

    done = _choose_password(client, _link_in(message), NEW_PASSWORD)
    assert 'id="reset-complete"' in done.content.decode()
    assert _login(Client(), user.username, PASSWORD).status_code == 200  # old one refused
    assert _login(Client(), user.username, NEW_PASSWORD).status_code == 302
    actions = list(
        AuditEvent.objects.filter(action__startswith="password_reset").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["password_reset_completed", "password_reset_requested"]


def test_the_email_is_in_the_language_the_user_chose(role_users: dict[str, Any]) -> None:
    user = role_users["monitor"]
    user.language = "en"
    user.save(update_fields=["language"])
    _ask_for_link(Client(), user.email)
    assert mail.outbox[0].subject == "PLATINIUM EDC — choose a new password"
    assert "The link works once" in mail.outbox[0].body


def test_the_link_works_only_once(role_users: dict[str, Any]) -> None:
    user = role_users["coordinator"]
    _ask_for_link(Client(), user.email)
    link = _link_in(mail.outbox[0])
    _choose_password(Client(), link, NEW_PASSWORD)

    again = Client().get(link, follow=True)
    assert 'id="reset-link-invalid"' in again.content.decode()
    assert 'name="new_password1"' not in again.content.decode()
    # Posting to it anyway changes nothing.
    Client().post(link, {"new_password1": "Autre-phrase-secrete-99", "new_password2": "x"})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_link_expires(role_users: dict[str, Any]) -> None:
    user = role_users["pharmacist"]
    _ask_for_link(Client(), user.email)
    link = _link_in(mail.outbox[0])
    # A day past the limit: under time_machine the naive local clock Django uses reads UTC.
    later = timezone.now() + timedelta(seconds=django_settings.PASSWORD_RESET_TIMEOUT, days=1)
    with time_machine.travel(later, tick=False):
        expired = Client().get(link, follow=True)
    assert 'id="reset-link-invalid"' in _main(expired), _main(expired)
    # Negative control: the same link, in time, opens the form.
    assert Client().get(link).status_code == 302


def test_an_unknown_address_gets_the_same_page_and_no_email(role_users: dict[str, Any]) -> None:
    known = _ask_for_link(Client(), role_users["monitor"].email)
    unknown = _ask_for_link(Client(), "nobody@example.invalid")
    assert known.redirect_chain == unknown.redirect_chain
    assert _main(known) == _main(unknown)
    assert len(mail.outbox) == 1  # only the known address got one


def test_a_disabled_account_gets_no_link(role_users: dict[str, Any]) -> None:
    user = role_users["statistician"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    page = _ask_for_link(Client(), user.email)
    assert 'id="reset-sent"' in page.content.decode()
    assert mail.outbox == []


@override_settings(PLATINIUM_REQUIRE_2FA=True)
def test_the_second_factor_is_still_asked_after_a_reset(role_users: dict[str, Any]) -> None:
    user = role_users["data_manager"]
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    _ask_for_link(Client(), user.email)
    client = Client()
    _choose_password(client, _link_in(mail.outbox[0]), NEW_PASSWORD)
    # The link did not log anybody in.
    assert client.get(reverse("home"))["Location"].startswith(reverse("accounts:login"))

    login = _login(client, user.username, NEW_PASSWORD)
    assert login.status_code == 302
    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home["Location"].startswith(reverse("accounts:two_factor"))
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_the_lockout_page_says_whom_to_contact(role_users: dict[str, Any]) -> None:
    _lock("monitor")
    page = _login(Client(), "monitor", PASSWORD).content.decode()
    assert "contactez l’administrateur de l’essai" in page or "administrateur de l" in page
    contact = "le support PLATINIUM (01 23 45 67 89)"
    with override_settings(PLATINIUM_SUPPORT_CONTACT=contact):
        page = _login(Client(), "monitor", PASSWORD).content.decode()
    assert contact in page
    assert reverse("accounts:password_reset") in page


def test_a_locked_user_unlocked_by_the_admin_can_log_in(
    role_users: dict[str, Any], client_for: Any
) -> None:
    _lock("coordinator")
    user = role_users["coordinator"]
    admin = client_for("admin")
    detail_url = reverse("accounts:user_detail", kwargs={"user_id": user.pk})
    assert "Bloqué après trop" in admin.get(detail_url).content.decode()

    webform.submit(admin, detail_url, form_id="unlock-form", changes={"reason": "Appel du CRA"})

    assert _login(Client(), "coordinator", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="account_unlocked")
    assert event.reason == "Appel du CRA"
    assert event.actor_id == role_users["admin"].pk
    assert "Bloqué après trop" not in admin.get(detail_url).content.decode()


def test_unlock_without_a_reason_leaves_the_lock(
    role_users: dict[str, Any], client_for: Any
) -> None:
    _lock("coordinator")
    user = role_users["coordinator"]
    client_for("admin").post(
        reverse("accounts:user_unlock", kwargs={"user_id": user.pk}), {"reason": ""}
    )
    assert _login(Client(), "coordinator", PASSWORD).status_code == 429
    assert not AuditEvent.objects.filter(action="account_unlocked").exists()


def test_the_admin_sends_a_reset_link(role_users: dict[str, Any], client_for: Any) -> None:
    user = role_users["investigator"]
    admin = client_for("admin")
    detail_url = reverse("accounts:user_detail", kwargs={"user_id": user.pk})
    page = webform.submit(
        admin,
        detail_url,
        form_id="password-reset-form",
        changes={"reason": "Demande par téléphone"},
        follow=True,
    )
    assert user.email in page.content.decode()
    assert [m.to for m in mail.outbox] == [[user.email]]
    event = AuditEvent.objects.get(action="password_reset_sent")
    assert event.reason == "Demande par téléphone"
    assert event.actor_id == role_users["admin"].pk
    _choose_password(Client(), _link_in(mail.outbox[0]), NEW_PASSWORD)
    assert _login(Client(), user.username, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("role", ["investigator", "data_manager", "randomization_manager"])
def test_other_roles_can_neither_unlock_nor_send_a_link(
    role: str, role_users: dict[str, Any], client_for: Any
) -> None:
    _lock("coordinator")
    target = role_users["coordinator"]
    client = client_for(role)
    for name in ("accounts:user_unlock", "accounts:user_send_password_reset"):
        response = client.post(reverse(name, kwargs={"user_id": target.pk}), {"reason": "x"})
        assert response.status_code == 403, name
    assert _login(Client(), "coordinator", PASSWORD).status_code == 429
    assert mail.outbox == []
