"""Who, which request and why: the context attached to every history row.

The middleware opens a pghistory context for the whole request (user, username,
request id, URL); services add the reason for change with `change_reason()`.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pghistory
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def change_reason(reason: str) -> Iterator[None]:
    """Attach a reason for change to the history rows written inside the block."""
    with pghistory.context(reason=reason):
        yield


@contextmanager
def acting_user(user: AbstractBaseUser | None, **metadata: Any) -> Iterator[None]:
    """History context outside a request (commands, tasks, tests)."""
    with pghistory.context(
        user=getattr(user, "pk", None), username=getattr(user, "username", ""), **metadata
    ):
        yield


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        user = getattr(request, "user", None)
        authenticated = user is not None and user.is_authenticated
        try:
            with pghistory.context(
                user=user.pk if user is not None and authenticated else None,
                username=user.username if user is not None and authenticated else "",
                request_id=request_id,
                url=request.path,
            ):
                response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response
