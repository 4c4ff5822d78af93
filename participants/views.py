from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from accounts.access import has_capability
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from participants.models import Participant
from platinium.lib.paging import page_of
from platinium.lib.study_time import d0_from_randomized_at, paris_date, study_day

# `?sort=` → ordering; the code breaks ties so that pages never overlap.
SORTS = {
    "code": ("code",),
    "-code": ("-code",),
    "site": ("site__code", "code"),
    "-site": ("-site__code", "-code"),
    "status": ("status", "code"),
    "enrolled": ("enrolled_at", "code"),
    "-enrolled": ("-enrolled_at", "-code"),
}

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


@capability_required(C.VIEW_PARTICIPANTS)
def participant_list(request: AuthenticatedRequest) -> HttpResponse:
    """Search by code, filter by status, sort, 50 a page; every choice is in the URL."""
    site = request.current_site.get()
    one_site = site if request.GET.get("all") != "1" else None
    participants = (
        Participant.objects.visible_to(request.user, one_site)
        .select_related("site")
        .annotate(randomized_at=F("allocation__randomized_at"))
    )
    status = request.GET.get("status", "")
    if status in Participant.Status.values:
        participants = participants.filter(status=status)
    show = request.GET.get("show", "")
    if show == "to_randomize":  # home page link (issue #11)
        participants = participants.to_randomize()
    code = request.GET.get("q", "").strip()[:20]
    if code:
        participants = participants.filter(code__icontains=code)
    sort = request.GET.get("sort", "")
    if sort not in SORTS:
        sort = "code"
    page = page_of(participants.order_by(*SORTS[sort]), request)
    today = paris_date(timezone.now())
    for p in page:  # today's study day (None before randomization)
        p.today_day = (
            study_day(d0_from_randomized_at(p.randomized_at), today) if p.randomized_at else None
        )
    return render(
        request,
        "participants/participant_list.html",
        {
            "page": page,
            "statuses": Participant.Status.choices,
            "status": status,
            "q": code,
            "sort": sort,
            "show_all": request.GET.get("all") == "1",
            "can_view_clinical": has_capability(request.user, C.VIEW_CLINICAL_DATA),
        },
    )


@capability_required(C.VIEW_PARTICIPANTS)
def participant_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """THE participant page is crf:participant (ADR 0035): whoever may read the clinical
    data is sent there; the others (the pharmacist) keep this page, without clinical data."""
    participant = get_object_or_404(Participant.objects.visible_to(request.user), code=code)
    if has_capability(request.user, C.VIEW_CLINICAL_DATA, participant.site_id):
        return redirect("crf:participant", code=participant.code)
    return render(
        request,
        "participants/participant_detail.html",
        {
            "participant": participant,
            "can_dispense": participant.status != Participant.Status.ENROLLED
            and has_capability(request.user, C.MANAGE_KITS, participant.site_id),
        },
    )
