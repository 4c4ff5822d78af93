"""Hostile input at scale: generated submissions of every form of every page, as every
role, never answer 500 and never leave a partial write.

Each example opens a page as a role (every GET page of the access truth table and every
CRF form page), takes one of its POST forms as the browser would send it, and changes it
with hypothesis: control characters, 100,000 characters, wrong types, numbers at and
beyond every limit, impossible and DST-gap dates, options that are not offered, ids of
another site's rows, a missing CSRF token, missing fields. The answer must not be a 500;
an answer that is not a redirect (a refusal) must have written nothing: the rows of every
clinical, pharmacy, monitoring and history table, and every audit event except the
records of a refused password, are counted before and after.

`make test` runs PLATINIUM_FUZZ_EXAMPLES examples (default 300, the same ones each run); `make
fuzz` runs 10,000 new ones (PLATINIUM_FUZZ_SEED set: hypothesis draws afresh).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from typing import Any
from urllib.parse import urljoin

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.properties import scope_world
from tests.webform import forms_in

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = int(os.environ.get("PLATINIUM_FUZZ_EXAMPLES", "300"))
COUNTED_APPS = ("participants", "eligibility", "crf", "randomization", "monitoring", "exports")
# Audit events a refusal writes on purpose: the trace of a wrong password or code.
REFUSAL_RECORDS = ("login_failed", "two_factor_failed", "reauthentication_failed")
# Navigation forms of every page: logging out or changing language ends the example.
NAVIGATION = ("/accounts/logout/", "/i18n/setlang/")

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x07\x1b[31m\x7f",
    "\r\n\t",
    "=cmd|' /C calc'!A0",
    "x" * 100_000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "😀" * 40,
    "-1",
    "0",
    "-0",
    "1e309",
    "NaN",
    "inf",
    "9" * 30,
    "-99999999999",
    "2147483648",
    "0.0000000001",
    "12,5",
    "abc",
    "2026-02-30",
    "2026-03-29T02:30",  # the spring-forward gap in Paris
    "2026-10-25T02:30",  # the autumn hour that happens twice
    "1899-12-31",
    "9999-12-31T23:59",
    "31/12/2026",
    "true",
    "on",
    "None",
]


def _counted_tables() -> list[str]:
    tables = {
        m._meta.db_table
        for m in apps.get_models()
        if m._meta.app_label in COUNTED_APPS and not m._meta.proxy and m._meta.managed
    }
    return sorted(tables)


def snapshot() -> Counter[str]:
    tables = _counted_tables()
    refusals = ", ".join(f"'{a}'" for a in REFUSAL_RECORDS)
    parts = [f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables]
    parts.append(
        "SELECT 'audit_auditevent', count(*) FROM audit_auditevent "
        f"WHERE action NOT IN ({refusals})"
    )
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return Counter(dict(cursor.fetchall()))


def pages(world: Any) -> list[tuple[str, str]]:
    """(role, url) of every page a role may open that holds a POST form."""
    found = []
    for role, user in world.users.items():
        client = Client()
        client.force_login(user)
        for label, url in scope_world.pages_for(world, role):
            if "pdf" in label:  # documents, not forms (and slow to render)
                continue
            response = client.get(url)
            html = response.get("Content-Type", "").startswith("text/html")
            if (
                response.status_code == 200
                and html
                and any(
                    f.method == "post" and not _navigation(f.action, url)
                    for f in forms_in(response.content)
                )
            ):
                found.append((role, url))
    return found


def _navigation(action: str, url: str) -> bool:
    target = urljoin(url, action) if action else url
    return any(target.startswith(path) for path in NAVIGATION)


def other_site_ids(world: Any) -> list[str]:
    return [str(world.crf16.pk), str(world.infection16.pk), str(world.site16.pk)]


ACTIONS = ("hostile", "text", "drop", "list")
Change = tuple[int, str, str, str, list[str]]


def changes(hostile: list[str]) -> st.SearchStrategy[list[Change]]:
    """Changes of the form's fields, drawn without looking at the form: a field is picked
    by position modulo the number of fields, so the draws keep one shape whatever the
    page shows now (hypothesis replays and shrinks them)."""
    return st.lists(
        st.tuples(
            st.integers(0, 999),
            st.sampled_from(ACTIONS),
            st.sampled_from(hostile),
            st.text(max_size=40),
            st.lists(st.sampled_from(hostile), min_size=2, max_size=3),
        ),
        max_size=12,
    )


def mutate(
    data: dict[str, Any], drawn: list[tuple[int, str, str, str, list[str]]]
) -> dict[str, Any]:
    names = sorted(data)
    changed = dict(data)
    for position, action, hostile, text, several in drawn:
        if not names:
            break
        name = names[position % len(names)]
        if action == "hostile":
            changed[name] = hostile
        elif action == "text":
            changed[name] = text
        elif action == "drop":
            changed.pop(name, None)
        else:
            changed[name] = several
    return changed


@pytest.fixture
def fuzz_world(role_users: dict[str, Any]) -> Any:
    world = scope_world.build(role_users)
    world.pages = pages(world)
    world.clients = {}
    for role, user in world.users.items():
        for csrf in (False, True):
            client = Client(enforce_csrf_checks=csrf, raise_request_exception=False)
            client.force_login(user)
            world.clients[role, csrf] = client
    return world


def test_the_fuzz_covers_the_forms_of_every_role(fuzz_world: Any) -> None:
    roles = {role for role, _url in fuzz_world.pages}
    assert {"investigator", "coordinator", "pharmacist", "monitor", "data_manager"} <= roles
    assert len(fuzz_world.pages) > 40
    tables = _counted_tables()
    assert "crf_dailyfollowup" in tables and "eligibility_screening" in tables


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("PLATINIUM_FUZZ_SEED") is None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_submissions_never_fail_and_never_half_save(fuzz_world: Any, data: Any) -> None:
    world = fuzz_world
    # Everything is drawn first, in one shape, whatever the pages show now.
    page_index = data.draw(st.integers(0, 10_000), label="page")
    csrf, drop_csrf = data.draw(st.tuples(st.booleans(), st.booleans()), label="csrf")
    drawn_form = data.draw(st.integers(0, 99), label="form")
    drawn = data.draw(changes(HOSTILE + other_site_ids(world)), label="changes")
    role, url = world.pages[page_index % len(world.pages)]
    csrf = csrf and drop_csrf
    client = world.clients[role, csrf]
    # A new-form page whose row an earlier example saved now leads to its edit page.
    page = client.get(url, follow=True)
    assert page.status_code != 500, (role, url)
    if page.status_code != 200:  # an earlier example voided this row: its page is gone
        return
    url = page.request["PATH_INFO"] + (
        f"?{page.request['QUERY_STRING']}" if page.request.get("QUERY_STRING") else ""
    )
    forms = [
        f for f in forms_in(page.content) if f.method == "post" and not _navigation(f.action, url)
    ]
    if not forms:  # an earlier accepted submission emptied this page (e.g. a lock taken)
        return
    form = forms[drawn_form % len(forms)]
    posted = mutate(form.data(), drawn)
    if csrf:
        posted.pop("csrfmiddlewaretoken", None)
    target = urljoin(url, form.action) if form.action else url
    before = snapshot()
    response = client.post(target, posted)
    assert response.status_code != 500, (role, target, _short(posted))
    if response.status_code not in (301, 302, 303):
        after = snapshot()
        changed = {t: after[t] - before[t] for t in after if after[t] != before[t]}
        assert not changed, f"refused ({response.status_code}) but wrote {changed}: {role} {target}"


def _short(posted: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v[:60] + "…" if isinstance(v, str) and len(v) > 60 else v) for k, v in posted.items()
    }


def test_negative_control_a_partial_write_is_caught(fuzz_world: Any) -> None:
    """A refusal that leaves one row behind is seen by the snapshot comparison."""
    from audit.services import record

    before = snapshot()
    record("crf.half_saved", target=fuzz_world.crf11, by=fuzz_world.users["investigator"])
    after = snapshot()
    assert {t for t in after if after[t] != before[t]} == {"audit_auditevent"}


def test_negative_control_a_500_is_caught(fuzz_world: Any, monkeypatch) -> None:
    """A view that crashes on hostile input answers 500 to this client, not an exception."""
    from crf import views

    monkeypatch.setattr(views, "_edit", lambda *a, **k: 1 / 0)
    role, url = next((r, u) for r, u in fuzz_world.pages if "/crf/" in u and r == "investigator")
    client = fuzz_world.clients[role, False]
    assert client.post(url, {"x": random.choice(HOSTILE)}).status_code == 500
