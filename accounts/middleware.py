from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.access import visible_sites
from sites.models import Site

# Pages a logged-in but not yet verified user may reach. Only the 2FA page itself,
# login/logout and language: user management (/accounts/users/…) is NOT exempt.
_TWO_FACTOR_EXEMPT_NAMES = ("accounts:login", "accounts:logout", "accounts:two_factor")
_TWO_FACTOR_EXEMPT_PREFIXES = ("/i18n/", "/static/", "/healthz")
SESSION_SITE_KEY = "current_site_id"


class TwoFactorMiddleware:
    """When 2FA is required, a session is only usable after a TOTP verification."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.PLATINIUM_REQUIRE_2FA
            and user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]  # added by django_otp's middleware
            and not _two_factor_exempt(request.path)
        ):
            target = reverse("accounts:two_factor")
            return HttpResponseRedirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)


def _two_factor_exempt(path: str) -> bool:
    if path.startswith(_TWO_FACTOR_EXEMPT_PREFIXES):
        return True
    return path in {reverse(name) for name in _TWO_FACTOR_EXEMPT_NAMES}


class CurrentSiteMiddleware:
    """`request.current_site`: the site the user works on (site switcher), lazily."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.current_site = LazySite(request)  # type: ignore[attr-defined]
        return self.get_response(request)


class LazySite:
    """The current site: the one chosen in the session if the user still sees it, else the
    first visible site by code. The visible sites are read once per request, for the site
    and for the navigation's switcher."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._visible: list[Site] | None = None
        self._loaded = False
        self._site: Site | None = None

    def visible(self) -> list[Site]:
        """The sites the user may pick (`visible_sites`), read once."""
        if self._visible is None:
            user = self._request.user
            self._visible = list(visible_sites(user)) if user.is_authenticated else []
        return self._visible

    def get(self) -> Site | None:
        if not self._loaded:
            self._loaded = True
            if self._request.user.is_authenticated:
                wanted = self._request.session.get(SESSION_SITE_KEY)
                self._site = _pick(self.visible(), wanted)
        return self._site


def _pick(visible: list[Site], wanted: Any) -> Site | None:
    """The wanted site if visible, else the first by code."""
    if wanted:
        chosen = next((s for s in visible if str(s.pk) == str(wanted)), None)
        if chosen is not None:
            return chosen
    return min(visible, key=lambda s: s.code, default=None)


SESSION_RENEWED_KEY = "renewed_at"
SESSION_EXPIRES_HEADER = "X-Session-Expires-In"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class SessionActivityMiddleware:
    """An idle session ends SESSION_COOKIE_AGE after its last renewal; only requests that
    change something (POST…) renew it, so a GET never writes the session row
    (docs/decisions/0022). The page renews it on activity through `accounts:session_renew`.
    Every answer to a logged-in user says how many seconds the session has left."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.user.is_authenticated:
            return response
        if request.method not in _SAFE_METHODS:
            request.session[SESSION_RENEWED_KEY] = int(time.time())
        response[SESSION_EXPIRES_HEADER] = str(session_seconds_left(request))
        return response


def session_seconds_left(request: HttpRequest) -> int:
    """Seconds before the session expires (its row's expire_date, set when last saved)."""
    age = settings.SESSION_COOKIE_AGE
    renewed = request.session.get(SESSION_RENEWED_KEY)
    if renewed is None:
        return age
    return max(0, min(age, int(renewed) + age - int(time.time())))
