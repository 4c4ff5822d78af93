"""French is the default language; the language switcher changes it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_home_is_in_french_by_default(client_for) -> None:
    html = client_for("investigator").get(reverse("home")).content.decode()
    assert '<html lang="fr">' in html


def test_login_page_is_in_french_by_default() -> None:
    assert '<html lang="fr">' in Client().get(reverse("accounts:login")).content.decode()


def test_switching_to_english_changes_the_page_language(client_for) -> None:
    client = client_for("investigator")
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert '<html lang="fr">' in client.get(reverse("home")).content.decode()


def test_unknown_language_keeps_french(client_for) -> None:
    client = client_for("investigator")
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert '<html lang="fr">' in client.get(reverse("home")).content.decode()


def test_an_english_browser_still_gets_french_until_the_user_switches(client_for) -> None:
    client = client_for("investigator")
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="fr">' in html
    assert "Bienvenue" in html


def test_home_text_is_translated_in_both_languages(client_for) -> None:
    client = client_for("investigator")
    assert "Bienvenue" in client.get(reverse("home")).content.decode()
    client.cookies["django_language"] = "en"
    assert "Welcome" in client.get(reverse("home")).content.decode()
