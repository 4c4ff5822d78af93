"""Defects the fuzz found, each kept as a plain regression test."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_site_switch_with_a_next_that_is_not_a_url_redirects_instead_of_failing(
    role_users: dict[str, Any], site11: Any
) -> None:
    """redirect() took "' OR 1=1 --" for a view name and failed to reverse it (500)."""
    client = Client(raise_request_exception=False)
    client.force_login(role_users["data_manager"])
    response = client.post("/accounts/site/", {"site": site11.pk, "next": "' OR 1=1 --"})
    assert response.status_code == 302
    assert response["Location"] == "'%20OR%201=1%20--"  # relative to this site: a 404
    outside = client.post("/accounts/site/", {"site": site11.pk, "next": "https://evil.example/"})
    assert outside["Location"] == "/"


@pytest.mark.parametrize("site", ["", "abc", "1e3", "-1"])
def test_a_site_switch_to_a_site_that_is_not_a_number_is_a_404(
    role_users: dict[str, Any], site: str
) -> None:
    """filter(pk="") raised ValueError (500)."""
    client = Client(raise_request_exception=False)
    client.force_login(role_users["data_manager"])
    assert client.post("/accounts/site/", {"site": site, "next": "/"}).status_code == 404


def test_a_login_with_a_huge_username_is_refused_with_a_message(db: Any) -> None:
    """The lockout log (django-axes) stores the username in 255 characters: a 100,000
    character one made the login page answer 500."""
    client = Client(raise_request_exception=False)
    response = client.post("/accounts/login/", {"username": "x" * 100_000, "password": " "})
    assert response.status_code == 200
    assert response.context["form"].errors
