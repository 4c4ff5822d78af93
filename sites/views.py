from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import sites_with
from accounts.decorators import capability_required
from accounts.roles import Capability as C


@capability_required(C.VIEW_PARTICIPANTS)
def site_list(request: HttpRequest) -> HttpResponse:
    sites = sites_with(request.user, C.VIEW_PARTICIPANTS).order_by("code")
    return render(request, "sites/site_list.html", {"sites": sites})
