from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.shortcuts import render

from accounts.access import sites_with
from accounts.decorators import capability_required
from accounts.roles import Capability as C

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


@capability_required(C.VIEW_PARTICIPANTS)
def site_list(request: AuthenticatedRequest) -> HttpResponse:
    sites = sites_with(request.user, C.VIEW_PARTICIPANTS).order_by("code")
    return render(request, "sites/site_list.html", {"sites": sites})
