from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.access import has_capability
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from participants.models import Participant

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


@capability_required(C.VIEW_PARTICIPANTS)
def participant_list(request: AuthenticatedRequest) -> HttpResponse:
    participants = Participant.objects.visible_to(request.user).select_related("site")
    site = request.current_site.get()
    if site is not None and request.GET.get("all") != "1":
        participants = participants.at_site(site)
    status = request.GET.get("status", "")
    if status in Participant.Status.values:
        participants = participants.filter(status=status)
    show = request.GET.get("show", "")
    if show == "to_randomize":  # home page link (issue #11)
        participants = participants.to_randomize()
    return render(
        request,
        "participants/participant_list.html",
        {
            "participants": participants,
            "statuses": Participant.Status.choices,
            "status": status,
            "can_view_clinical": has_capability(request.user, C.VIEW_CLINICAL_DATA),
        },
    )


@capability_required(C.VIEW_PARTICIPANTS)
def participant_detail(request: AuthenticatedRequest, code: str) -> HttpResponse:
    participant = get_object_or_404(Participant.objects.visible_to(request.user), code=code)
    return render(
        request,
        "participants/participant_detail.html",
        {
            "participant": participant,
            "can_view_clinical": has_capability(
                request.user, C.VIEW_CLINICAL_DATA, participant.site_id
            ),
            "can_dispense": participant.status != Participant.Status.ENROLLED
            and has_capability(request.user, C.MANAGE_KITS, participant.site_id),
        },
    )
