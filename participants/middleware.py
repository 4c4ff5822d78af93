"""When PostgreSQL refuses a write because of a lock (a path the application's own check
did not cover), the user gets a French message and the page again, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from participants.lock_guard import is_lock_refusal


class LockRefusalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DatabaseError) or not is_lock_refusal(exception):
            return None
        messages.error(request, gettext("These data are locked: nothing was saved."))
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = request.get_full_path() if request.method == "GET" else "/"
        return HttpResponseRedirect(back)
