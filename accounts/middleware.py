from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from accounts.access import visible_sites

# Paths a logged-in but not yet verified user may reach.
_TWO_FACTOR_EXEMPT = ("/accounts/", "/i18n/", "/static/", "/healthz")
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
            and not user.is_verified()  # type: ignore[union-attr]
            and not request.path.startswith(_TWO_FACTOR_EXEMPT)
        ):
            return redirect("accounts:two_factor")
        return self.get_response(request)


class CurrentSiteMiddleware:
    """`request.current_site`: the site the user works on (site switcher), lazily."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.current_site = _LazySite(request)  # type: ignore[attr-defined]
        return self.get_response(request)


class _LazySite:
    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._loaded = False
        self._site = None

    def get(self):  # type: ignore[no-untyped-def]
        if not self._loaded:
            self._loaded = True
            user = self._request.user
            if user.is_authenticated:
                sites = visible_sites(user)
                wanted = self._request.session.get(SESSION_SITE_KEY)
                self._site = (sites.filter(pk=wanted).first() if wanted else None) or (
                    sites.order_by("code").first()
                )
        return self._site
