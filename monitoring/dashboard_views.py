"""The review dashboard (issue #9): charts drawn by static/js/dashboard.js from a JSON data
block, each beside a table of the same figures (screen readers, CSP: ADR 0016, 0021)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from monitoring import dashboard

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


@capability_required(C.VIEW_DASHBOARDS)
def dashboard_view(request: AuthenticatedRequest) -> HttpResponse:
    # Every figure is clinical (screening, queries, SAEs, SDV): without clinical access
    # (the pharmacist) the page is refused rather than shown empty (ADR 0021).
    if not has_capability(request.user, C.VIEW_CLINICAL_DATA):
        raise PermissionDenied
    data = dashboard.figures(request.user)
    labels = {
        "actual": gettext("Randomized (cumulative)"),
        "expected": gettext("Expected"),
        "target": gettext("Target"),
        "randomized": gettext("Randomized"),
        "participants": gettext("Participants"),
        "sdv": gettext("Critical data verified (%)"),
        "saes": gettext("SAEs awaiting acknowledgement"),
        "resign": gettext("Casebooks to re-sign"),
    }
    return render(request, "monitoring/dashboard.html", {"data": data, "labels": labels})
