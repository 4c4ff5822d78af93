"""The record status dashboard page (crf/status_board.py; ADR 0035)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.access import site_filter, sites_with
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from crf import status_board, timeline
from crf.schedule import VISITS_BY_CODE
from participants.models import Participant
from platinium.lib.paging import PER_PAGE, page_of
from platinium.lib.study_time import paris_date

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


@capability_required(C.VIEW_CLINICAL_DATA)
def status_dashboard(request: AuthenticatedRequest) -> HttpResponse:
    """Participants × scheduled forms, 50 participants a page; the site (for whoever sees
    more than one), the status and the code searched are in the URL."""
    user = request.user
    participants = Participant.objects.filter(site_filter(user, C.VIEW_CLINICAL_DATA))
    sites = list(sites_with(user, C.VIEW_CLINICAL_DATA).order_by("code"))
    site = request.GET.get("site_code", "")
    if site in {s.code for s in sites}:
        participants = participants.filter(site__code=site)
    else:
        site = ""
    code = request.GET.get("q", "").strip()[:20]
    if code:
        participants = participants.filter(code__icontains=code)
    status = request.GET.get("status", "")
    participants = participants.select_related("site").order_by("code")
    today = paris_date(timezone.now())
    if status in status_board.FILTERS:
        # The status is computed, not stored: every row is computed (still a fixed number
        # of queries), then the matching ones are paged.
        rows = [r for r in status_board.rows_for(list(participants), user, today) if r.has(status)]
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    else:
        status = ""
        page = page_of(participants, request)
        page.object_list = status_board.rows_for(list(page.object_list), user, today)
    return render(
        request,
        "crf/status_dashboard.html",
        {
            "page": page,
            "columns": [VISITS_BY_CODE[code] for code in status_board.COLUMNS],
            "sites": sites if len(sites) > 1 else [],
            "site": site,
            "statuses": [(s, timeline.STATUS_LABELS[s]) for s in status_board.FILTERS],
            "status": status,
            "q": code,
            "legend": list(timeline.STATUS_LABELS.items()),
        },
    )
