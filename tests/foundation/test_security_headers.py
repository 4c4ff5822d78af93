"""Security headers and cookies on every kind of response (no browser needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def test_pages_send_a_strict_content_security_policy(client: Client) -> None:
    response = client.get("/accounts/login/")
    policy = _policy(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_not_readable_by_scripts(client: Client, django_user_model):
    django_user_model.objects.create_user("cookie-user", password="a-long-password-1")
    page = client.get("/accounts/login/")
    assert page.cookies["csrftoken"]["samesite"] == "Lax"
    assert page.cookies["csrftoken"]["httponly"] is True
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "cookie-user", "password": "a-long-password-1", "csrfmiddlewaretoken": token},
    )
    session = response.cookies["sessionid"]
    assert session["httponly"] is True and session["samesite"] == "Lax"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle=\"", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+=\"", re.I), "event-handler attribute"),
]


def inline_code(text: str) -> list[str]:
    return [label for pattern, label in INLINE if pattern.search(text)]


def test_no_template_of_a_web_page_holds_inline_code() -> None:
    """PDF templates (templates/pdf/) are rendered by WeasyPrint, never served as pages."""
    found = [
        f"{path.relative_to(TEMPLATES)}: {', '.join(labels)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        if "pdf" not in path.relative_to(TEMPLATES).parts
        and (labels := inline_code(path.read_text(encoding="utf-8")))
    ]
    assert found == []


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<div style="top:0">',
        '<select onchange="this.form.submit()">',
        "<style>.x{}</style>",
    ],
)
def test_negative_control_the_template_scan_sees_inline_code(snippet: str) -> None:
    assert inline_code(snippet)
    assert not inline_code('<script src="/static/js/platinium.js"></script>')
