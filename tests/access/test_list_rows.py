"""What a site user SEES on list pages, not only whether the page answers (reliability
issue: removing the site filter from the participant list kept every status code).

Every GET page of the truth table that takes no object in its URL (the lists: participant
list, screening log, pharmacy lists, SAE list, home…) is requested as each site-11 role
allowed on it, as opened and with "all my sites" (`?all=1`); the page must show none of
site 16's identifiers (participant codes, screening numbers, kit codes, shipment numbers).
Generated from the tables, so a new list page is covered when it gets its truth-table entry.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from eligibility.models import Screening
from participants.models import Participant, ParticipantQuerySet
from randomization.models import Kit, Shipment
from tests.access.harness import SITE_ROLES, Entry, all_entries, build_world

pytestmark = pytest.mark.django_db

LIST_PAGES = [e for e in all_entries() if e.method == "GET" and e.kwargs is None and not e.public]


def identifiers(site_code: str) -> set[str]:
    return (
        set(Participant.objects.filter(site__code=site_code).values_list("code", flat=True))
        | set(Screening.objects.filter(site__code=site_code).values_list("number", flat=True))
        | set(Kit.objects.filter(site__code=site_code).values_list("code", flat=True))
        | set(Shipment.objects.filter(site__code=site_code).values_list("number", flat=True))
    )


def shown(html: str, codes: set[str]) -> set[str]:
    return {c for c in codes if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", html)}


def leaks(entries: list[Entry], role_users: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(page, role) → site-16 identifiers a site-11 user sees there; also returns, under
    ("*", "site11"), the site-11 identifiers seen at all (the check is not vacuous)."""
    other, own = identifiers("16"), identifiers("11")
    found: dict[tuple[str, str], set[str]] = {}
    seen_own: set[str] = set()
    for entry in entries:
        base = reverse(entry.name) + (f"?{entry.query}" if entry.query else "")
        # As opened, and with "all my sites" ticked (lists default to the current site).
        urls = (base, base + ("&" if "?" in base else "?") + "all=1")
        for role in sorted(entry.allowed & SITE_ROLES):
            client = Client()
            client.force_login(role_users[role])
            for url in urls:
                response = client.get(url, follow=True)
                assert response.status_code == 200, (url, role, response.status_code)
                html = response.content.decode()
                seen_own |= shown(html, own)
                if bad := shown(html, other):
                    found.setdefault((url, role), set()).update(bad)
    found[("*", "site11")] = seen_own
    return found


def test_list_pages_exist_in_the_tables():
    names = {e.name for e in LIST_PAGES}
    assert {"participants:list", "eligibility:screening_list"} <= names
    assert any(n.startswith("randomization:") for n in names), names


def test_a_site_11_user_never_sees_a_site_16_row_on_a_list_page(role_users):
    build_world(role_users)
    found = leaks(LIST_PAGES, role_users)
    seen_own = found.pop(("*", "site11"))
    assert found == {}
    # Not vacuous: the same pages do show site-11 participants, screenings and kits.
    assert shown(" ".join(seen_own), identifiers("11")) == seen_own
    kinds = {
        "participant": set(
            Participant.objects.filter(site__code="11").values_list("code", flat=True)
        ),
        "screening": set(
            Screening.objects.filter(site__code="11").values_list("number", flat=True)
        ),
        "kit": set(Kit.objects.filter(site__code="11").values_list("code", flat=True)),
    }
    assert all(seen_own & codes for codes in kinds.values()), seen_own


def test_negative_control_a_participant_list_without_its_site_filter_is_caught(
    role_users, monkeypatch
):
    build_world(role_users)
    # The mutation: the participant queryset forgets the user's sites.
    monkeypatch.setattr(ParticipantQuerySet, "visible_to", lambda self, user, site=None: self.all())
    participant_list = [e for e in LIST_PAGES if e.name == "participants:list"]
    found = leaks(participant_list, role_users)
    found.pop(("*", "site11"))
    assert found, "removing the site filter went unnoticed"
    assert any(code.startswith("16-") for codes in found.values() for code in codes)
