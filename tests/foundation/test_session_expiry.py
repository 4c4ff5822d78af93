"""Sessions end after 30 idle minutes; every request extends them; the page knows the limit."""

from __future__ import annotations

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
    assert production.SESSION_SAVE_EVERY_REQUEST is True
    assert production.SESSION_COOKIE_HTTPONLY is True


def test_each_request_pushes_the_expiry_back(client_for) -> None:
    client = client_for("investigator")
    Session.objects.filter(pk=_session(client).pk).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )
    assert client.get(reverse("home")).status_code == 200
    remaining = _session(client).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


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
