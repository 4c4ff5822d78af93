"""Randomize a participant, its confirmation (page, PDF), emergency unblinding.

Blinding: these views load no arm; only ``unblind`` (POST) asks arm_access, through
the service, for the arm of one participant, shown once with Cache-Control: no-store.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.decorators import capability_required
from accounts.reauth import ReauthenticationFailed
from accounts.roles import Capability as C
from participants.models import Participant
from randomization import documents
from randomization.forms import RandomizeForm, UnblindForm
from randomization.models import Allocation, EmergencyUnblinding
from randomization.services import allocation as allocation_services
from randomization.services.unblinding import unblind_emergency

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


def _participant(request: HttpRequest, code: str, capability: str) -> Participant:
    participant = get_object_or_404(
        Participant.objects.visible_to(request.user).select_related("site"), code=code
    )
    if not has_capability(request.user, capability, participant.site_id):
        raise Http404
    return participant


def _eligibility_summary(participant: Participant) -> dict:
    from eligibility.models import Screening

    screening = (
        Screening.objects.filter(participant=participant)
        .select_related("confirmation", "confirmation__investigator")
        .first()
    )
    return {
        "screening": screening,
        "confirmation": getattr(screening, "confirmation", None) if screening else None,
    }


@capability_required(C.RANDOMIZE)
def randomize(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Confirm, then randomize. The idempotency key makes a double submission harmless."""
    participant = _participant(request, code, C.RANDOMIZE)
    if Allocation.objects.filter(participant=participant).exists():
        return redirect("randomization:confirmation", code=participant.code)
    problems: list[str] = []
    if request.method == "POST":
        form = RandomizeForm(request.POST)
        if form.is_valid():
            try:
                allocation_services.randomize(
                    participant,
                    by=request.user,
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except allocation_services.RandomizationRefused as exc:
                problems = exc.messages
            else:
                messages.success(request, gettext("The participant has been randomized."))
                return redirect("randomization:confirmation", code=participant.code)
    else:
        form = RandomizeForm(initial={"idempotency_key": uuid.uuid4().hex})
        problems = allocation_services.preconditions(participant, request.user)
    return render(
        request,
        "randomization/randomize.html",
        {
            "participant": participant,
            "form": form,
            "problems": problems,
            **_eligibility_summary(participant),
        },
    )


def _allocation(request: HttpRequest, code: str) -> Allocation:
    allocation = get_object_or_404(
        Allocation.objects.visible_to(request.user).select_related(
            "participant", "slot", "site", "randomized_by"
        ),
        participant__code=code,
    )
    if not has_capability(request.user, C.SEE_KIT_NUMBERS, allocation.site_id):
        raise Http404
    return allocation


@capability_required(C.SEE_KIT_NUMBERS)
def confirmation(request: AuthenticatedRequest, code: str) -> HttpResponse:
    allocation = _allocation(request, code)
    user = request.user
    return render(
        request,
        "randomization/confirmation.html",
        {
            **documents.confirmation_context(allocation),
            "allocation": allocation,
            "can_dispense": has_capability(user, C.MANAGE_KITS, allocation.site_id),
            "can_unblind": has_capability(user, C.EMERGENCY_UNBLIND, allocation.site_id),
        },
    )


@capability_required(C.SEE_KIT_NUMBERS)
def confirmation_pdf(request: AuthenticatedRequest, code: str) -> HttpResponse:
    allocation = _allocation(request, code)
    response = HttpResponse(documents.confirmation_pdf(allocation), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{documents.confirmation_filename(allocation)}"'
    )
    return response


@capability_required(C.EMERGENCY_UNBLIND)
def unblind(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Emergency unblinding: reason + password; the arm appears in this response only."""
    participant = _participant(request, code, C.EMERGENCY_UNBLIND)
    allocation = get_object_or_404(Allocation, participant=participant)
    error = ""
    if request.method == "POST":
        form = UnblindForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                result = unblind_emergency(
                    participant,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    request=request,
                    **form.credentials(),
                )
            except ReauthenticationFailed as refused:
                error = refused.message
            except PermissionDenied:
                raise
            else:
                response = render(
                    request,
                    "randomization/unblinded.html",
                    {
                        "participant": participant,
                        "allocation": allocation,
                        "arm": result.arm,
                        "product": result.product,
                        "unblinding": result.unblinding,
                    },
                )
                add_never_cache_headers(response)
                response["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
                return response
    else:
        form = UnblindForm(user=request.user)
    response = render(
        request,
        "randomization/unblind.html",
        {
            "participant": participant,
            "allocation": allocation,
            "form": form,
            "error": error,
        },
    )
    add_never_cache_headers(response)
    return response


@capability_required(C.VIEW_UNBLINDING_LOG)
def unblinding_log(request: AuthenticatedRequest) -> HttpResponse:
    unblindings = (
        EmergencyUnblinding.objects.visible_to(request.user)
        .select_related("participant", "site", "unblinded_by")
        .order_by("-unblinded_at", "participant__code")
    )
    page = Paginator(unblindings, 50).get_page(request.GET.get("page"))
    return render(request, "randomization/unblinding_log.html", {"page": page})
