"""The navigation reads the user's visible sites once and picks the current site from
them (accounts.middleware._pick) instead of two more queries: the same site as
LazySite's own queries for every kind of user and every session choice (none, a visible
site, a site the user no longer sees), and one query fewer on a page. Negative control:
a pick that ignores the session's choice is caught."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts import middleware
from accounts.context_processors import navigation
from accounts.roles import Role
from sites.models import Site
from tests.factories import make_user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(db: Any) -> list[Any]:
    two_sites = make_user_with_role("inv-16-11", Role.INVESTIGATOR, "16")
    make_user_with_role("inv-16-11", Role.INVESTIGATOR, "11")
    return [
        two_sites,
        make_user_with_role("inv-11", Role.INVESTIGATOR, "11"),
        make_user_with_role("monitor-11", Role.MONITOR, "11"),
        make_user_with_role("dm", Role.DATA_MANAGER, None),
        make_user_with_role("admin", Role.ADMIN, None),
    ]


def _request(user: Any, wanted: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    if wanted is not None:
        request.session[middleware.SESSION_SITE_KEY] = wanted
    request.current_site = middleware.LazySite(request)
    return request


def _choices() -> list[Any]:
    return [None, Site.objects.get(code="16").pk, Site.objects.get(code="01").pk]


def test_the_navigation_picks_the_site_lazysite_would_query(users):
    picked = set()
    for user in users:
        for wanted in _choices():
            queried = _request(user, wanted).current_site.get()
            assert navigation(_request(user, wanted))["current_site"] == queried, (user, wanted)
            picked.add(getattr(queried, "code", None))
    assert {"11", "16", "01"} <= picked  # the first by code, a chosen site, all sites


def test_the_navigation_reads_the_sites_once(users):
    two_sites = users[0]
    with CaptureQueriesContext(connection) as queries:
        navigation(_request(two_sites, None))
    sites = [q for q in queries if 'FROM "sites_site"' in q["sql"]]
    assert len(sites) == 1  # was 2: the visible sites, then the first of them again


def test_negative_control_a_pick_that_ignores_the_choice_is_caught(users, monkeypatch):
    monkeypatch.setattr(
        middleware, "_pick", lambda visible, wanted: min(visible, key=lambda s: s.code)
    )
    two_sites, site16 = users[0], Site.objects.get(code="16")
    assert _request(two_sites, site16.pk).current_site.get() == site16
    assert navigation(_request(two_sites, site16.pk))["current_site"] != site16
