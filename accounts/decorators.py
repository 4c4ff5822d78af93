from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from accounts.access import require_capability


def capability_required(capability: str) -> Callable[..., Any]:
    """The view needs `capability` at some site; object-level checks stay in querysets."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_capability(request.user, capability)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
