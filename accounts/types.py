"""Types for type hints (mypy, docs/CONVENTIONS.md "Types").

`User` is the signed-in person (accounts.models.User); `Visitor` is whoever asks, maybe
anonymous (the access checks answer "no" for an anonymous visitor).
`AuthenticatedRequest` is the request of a view behind login: `request.user` is a User and
`request.current_site` is set by CurrentSiteMiddleware.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from accounts.middleware import LazySite
from accounts.models import User

Visitor: TypeAlias = User | AnonymousUser


class AuthenticatedRequest(HttpRequest):
    user: User
    current_site: LazySite


__all__ = ["AuthenticatedRequest", "User", "Visitor"]
