from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.access import has_capability, roles_of
from accounts.middleware import LazySite, session_seconds_left
from accounts.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        # The lockout page (rendered by django-axes) says whom to contact.
        return {
            "session_minutes": settings.SESSION_COOKIE_AGE // 60,
            "support_contact": settings.PLATINIUM_SUPPORT_CONTACT,
        }
    lazy = getattr(request, "current_site", None)
    if lazy is None:  # a request built without the middleware
        lazy = LazySite(request)
    current = lazy.get()
    sites = lazy.visible() if not has_capability(user, "manage_users") else []
    return {
        "menu": menu_for(user),
        "current_site": current,
        "switchable_sites": sites if len(sites) > 1 else [],
        "user_roles": sorted(roles_of(user)),
        "session_minutes": settings.SESSION_COOKIE_AGE // 60,
        "session_seconds_left": session_seconds_left(request),
    }
