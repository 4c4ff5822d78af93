"""The current site (accounts.middleware.LazySite) is the site chosen in the session if
the user sees it, else the first visible site by code, for every kind of user and every
session choice (none, a visible site, a site the user no longer sees); a view and the
navigation read the visible sites once between them. Negative control: a pick that
ignores the session's choice is caught."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts import middleware
from accounts.access import visible_sites
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


def _rule(user: Any, wanted: Any) -> Any:
    """The rule, from the database: the chosen site if visible, else the first by code."""
    sites = visible_sites(user).order_by("code")
    return (sites.filter(pk=wanted).first() if wanted else None) or sites.first()


def test_the_current_site_is_the_chosen_visible_site_or_the_first_by_code(users):
    picked = set()
    for user in users:
        for wanted in _choices():
            expected = _rule(user, wanted)
            assert _request(user, wanted).current_site.get() == expected, (user, wanted)
            assert navigation(_request(user, wanted))["current_site"] == expected
            picked.add(getattr(expected, "code", None))
    assert {"11", "16", "01"} <= picked  # the first by code, a chosen site, all sites


def test_a_view_and_the_navigation_read_the_sites_once(users):
    two_sites = users[0]
    request = _request(two_sites, None)
    with CaptureQueriesContext(connection) as queries:
        request.current_site.get()  # as a view does
        context = navigation(request)
    sites = [q for q in queries if 'FROM "sites_site"' in q["sql"]]
    assert len(sites) == 1  # was 3: the chosen site, the first by code, the visible sites
    assert [s.code for s in context["switchable_sites"]] == ["11", "16"]


def test_negative_control_a_pick_that_ignores_the_choice_is_caught(users, monkeypatch):
    monkeypatch.setattr(
        middleware, "_pick", lambda visible, wanted: min(visible, key=lambda s: s.code)
    )
    two_sites, site16 = users[0], Site.objects.get(code="16")
    assert _rule(two_sites, site16.pk) == site16
    assert _request(two_sites, site16.pk).current_site.get() != site16
    assert navigation(_request(two_sites, site16.pk))["current_site"] != site16
