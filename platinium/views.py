from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.access import roles_of
from accounts.roles import Role
from platinium import worklists

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """The landing page: what this user can do, driven by their roles."""
    roles = sorted(roles_of(request.user))
    current = request.current_site.get()
    return render(
        request,
        "home.html",
        {
            "role_labels": [Role(role).label for role in roles],
            "has_no_role": not roles,
            "sections": worklists.sections_for(request.user, current),
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(
        request,
        "errors/csrf.html",
        {"message": _("Your form expired or was sent twice. Reload the page and try again.")},
        status=403,
    )


def trivial(request: HttpRequest) -> HttpResponse:
    """Baseline for `make bench`: the cheapest possible Django response."""
    return HttpResponse("ok")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database that did not answer (restart, failover, network) is a 503 that
    tells the user the data was NOT saved and to send it again; the form they sent is still
    in their browser (Back). Rendered without the request's context: that would query the
    database again."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return HttpResponse(render_to_string("errors/database_unavailable.html"), status=503)
    return HttpResponse(render_to_string("500.html"), status=500)
