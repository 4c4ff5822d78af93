"""Sessions end after 30 idle minutes; a write (POST) or the page's renewal extends them, a
GET does not (docs/decisions/0022); the page knows the limit and the time left."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

import platinium.settings as production

pytestmark = pytest.mark.django_db


def _session(client) -> Session:  # type: ignore[no-untyped-def]
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_production_settings_expire_idle_sessions_after_30_minutes() -> None:
    assert production.SESSION_COOKIE_AGE == 1800
    assert production.SESSION_SAVE_EVERY_REQUEST is False
    assert production.SESSION_COOKIE_HTTPONLY is True


def _expire_in_one_minute(client) -> None:  # type: ignore[no-untyped-def]
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )


def test_a_post_pushes_the_expiry_back_and_says_how_long_is_left(client_for) -> None:
    client = client_for("investigator")
    _expire_in_one_minute(client)
    response = client.post(reverse("accounts:session_renew"))
    assert response.status_code == 204
    assert 1790 <= int(response["X-Session-Expires-In"]) <= 1800
    remaining = _session(client).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_a_get_leaves_the_expiry_alone(client_for) -> None:
    client = client_for("investigator")
    client.post(reverse("accounts:session_renew"))
    _expire_in_one_minute(client)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert _session(client).expire_date - timezone.now() <= timedelta(minutes=1)
    assert 1790 <= int(response["X-Session-Expires-In"]) <= 1800


def test_the_page_carries_the_seconds_left_since_the_last_renewal(client_for) -> None:
    import time

    from accounts.middleware import SESSION_RENEWED_KEY

    client = client_for("coordinator")
    session = client.session
    session[SESSION_RENEWED_KEY] = int(time.time()) - 600
    session.save()
    html = client.get(reverse("home")).content.decode()
    left = int(re.search(r'data-session-seconds-left="(\d+)"', html).group(1))
    assert 1190 <= left <= 1200
    assert f'data-session-renew-url="{reverse("accounts:session_renew")}"' in html


def test_expired_session_redirects_to_the_login_page(client_for) -> None:
    client = client_for("coordinator")
    assert client.get(reverse("participants:list")).status_code == 200
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("participants:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=" in response["Location"]


def test_base_template_carries_the_session_length_for_the_warning(client_for) -> None:
    html = client_for("monitor").get(reverse("home")).content.decode()
    assert f'data-session-minutes="{settings.SESSION_COOKIE_AGE // 60}"' in html
    assert 'id="session-warning"' in html
    assert "js/platinium.js" in html


def test_login_page_has_no_session_timer() -> None:
    from django.test import Client

    html = Client().get(reverse("accounts:login")).content.decode()
    assert "data-session-minutes" not in html
