from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.access import roles_of
from accounts.roles import Role
from platinium import worklists


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: what this user can do, driven by their roles."""
    roles = sorted(roles_of(request.user))
    current = request.current_site.get()  # type: ignore[attr-defined]
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
