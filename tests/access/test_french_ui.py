"""Every page of the truth table, in French, as every role allowed on it, shows no raw
name: no field or column name, no True/False/None, no Django default object name, no
English phrase that has a French translation (issue #11; tests/access/french_ui.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.access.french_ui import problems, translated_phrases, visible_text
from tests.access.harness import ROLE_KEYS, Entry, all_entries, build_world

pytestmark = pytest.mark.django_db

HTML_GET_ENTRIES = [e for e in all_entries() if e.method == "GET"]


def _url(entry: Entry, kwargs: dict[str, Any]) -> str:
    return reverse(entry.name, kwargs=kwargs) + (f"?{entry.query}" if entry.query else "")


def french_problems(entries: list[Entry], role_users: dict[str, Any], world: Any) -> dict:
    """(url, role) → what a French user should not read there."""
    clients: dict[str, Client] = {}
    for role in ROLE_KEYS:
        clients[role] = Client(HTTP_ACCEPT_LANGUAGE="fr")
        clients[role].force_login(role_users[role])
    found: dict[tuple[str, str], list[str]] = {}
    usernames = {u.username for u in role_users.values()}
    pages = 0
    for entry in entries:
        url = _url(entry, entry.kwargs(world) if entry.kwargs else {})
        for role in (r for r in ROLE_KEYS if r in entry.allowed):
            response = clients[role].get(url)
            if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                continue
            pages += 1
            # User names are data the users chose, not names of the software.
            bad = problems(visible_text(response.content.decode()), ignore=usernames)
            if bad:
                found[(url, role)] = sorted(set(bad))
    assert pages > 0
    return found


def test_no_page_shows_a_raw_name_or_english_to_a_french_user(role_users: dict) -> None:
    world = build_world(role_users)
    found = french_problems(HTML_GET_ENTRIES, role_users, world)
    assert found == {}, "\n".join(f"{url} as {role}: {bad}" for (url, role), bad in found.items())
    assert len(HTML_GET_ENTRIES) > 40  # not vacuous: the whole table was rendered


def test_the_scan_sees_what_it_must_refuse() -> None:
    """Negative control of the scanner itself, on what the real pages could contain."""
    html = (
        "<h1>Suivi quotidien</h1><td>temperature_c</td><td title='sofa[0].pao2_mmhg'>x</td>"
        "<td>True</td><td>FU_D60</td><p>Screening object (12)</p><button>Save</button>"
        "<script>var not_seen_here = True;</script>"
    )
    text = visible_text(html)
    assert "not_seen_here" not in text
    found = problems(text)
    assert "identifier 'temperature_c'" in found
    assert "identifier 'pao2_mmhg'" in found
    assert "Python value 'True'" in found
    assert "code 'FU_D60'" in found
    assert "default object name 'Screening object (12)'" in found
    english = next(p for p in translated_phrases() if p.startswith("This "))
    assert problems(english) == [f"English {english!r}"]
    # A French page with e-mail addresses, file names and URLs is clean.
    clean = "Écrit par demo-investigator (demo_inv@chu.example) : export_2026.zip, /crf/a_b/"
    assert problems(clean) == []


def test_a_page_with_a_raw_field_name_is_caught(role_users: dict, settings: Any) -> None:
    """Negative control through a real page: the English UI of the home page is caught,
    so the French one passing means something."""
    settings.LANGUAGE_CODE = "en"
    client = Client()
    client.force_login(role_users["investigator"])
    client.cookies["django_language"] = "en"
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert any(p.startswith("English") for p in problems(visible_text(response.content.decode())))
