"""Pages of the randomization manager: allocation/kit lists, QC, supply; unblinded listing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import messages
from django.db.models import Case, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from accounts.roles import Capability as C
from platinium.lib.paging import page_of
from randomization import allocation_list, arm_access
from randomization.forms import ListUploadForm
from randomization.models import AllocationList, Kit, KitList, Shipment
from randomization.services.lists import (
    ImportRefused,
    import_allocation_list,
    import_kit_list,
    translate,
)
from randomization.services.supply import SupplyShortage, dispatch_shipment

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


@capability_required(C.LOAD_ALLOCATION_LIST)
def allocation_lists(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "randomization/allocation_lists.html",
        {
            "lists": AllocationList.objects.select_related("loaded_by"),
            "kit_lists": KitList.objects.select_related("loaded_by"),
            "depot_kits": Kit.objects.filter(status=Kit.Status.AT_DEPOT).count(),
        },
    )


@capability_required(C.LOAD_ALLOCATION_LIST)
def allocation_list_check(request: AuthenticatedRequest) -> HttpResponse:
    """QC report of an uploaded file; nothing is stored."""
    report = None
    problems: list[str] = []
    form = ListUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        parsed, found = allocation_list.check_upload(
            raw,
            expected_env=settings.PLATINIUM_ENV,
            declared_sha256=form.cleaned_data["sha256"],
            existing_versions=set(AllocationList.objects.values_list("list_version", flat=True)),
        )
        problems = [translate(m) for m in found]
        if parsed is not None:
            report = allocation_list.qc_report(parsed)
    response = render(
        request,
        "randomization/allocation_list_check.html",
        {
            "form": form,
            "report": report,
            "problems": problems,
            "max_imbalance": allocation_list.max_allowed_imbalance(),
        },
    )
    add_never_cache_headers(response)
    return response


@capability_required(C.LOAD_ALLOCATION_LIST)
def allocation_list_import(request: AuthenticatedRequest) -> HttpResponse:
    return _import(request, kind="allocation")


@capability_required(C.LOAD_ALLOCATION_LIST)
def kit_list_import(request: AuthenticatedRequest) -> HttpResponse:
    return _import(request, kind="kit")


def _import(request: HttpRequest, *, kind: str) -> HttpResponse:
    form = ListUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        service = import_allocation_list if kind == "allocation" else (import_kit_list)
        try:
            service(
                upload.read(),
                by=request.user,
                declared_sha256=form.cleaned_data["sha256"],
                filename=upload.name or "",
            )
        except ImportRefused as exc:
            problems = exc.messages
        else:
            messages.success(request, gettext("The list has been loaded."))
            return redirect("randomization:allocation_lists")
    return render(
        request,
        "randomization/list_import.html",
        {"form": form, "problems": problems, "kind": kind},
    )


@capability_required(C.LOAD_ALLOCATION_LIST)
def supply(request: AuthenticatedRequest) -> HttpResponse:
    """Shipment requests of every site, for the central depot (arm-agnostic)."""
    # Requested shipments first (what the depot has to dispatch), then the newest
    # (issue #11); paged like every list (issue #13).
    shipments = (
        Shipment.objects.select_related("site")
        .alias(waiting=Case(When(status=Shipment.Status.REQUESTED, then=0), default=1))
        .order_by("waiting", "-requested_at", "-pk")
    )
    return render(
        request,
        "randomization/supply.html",
        {
            "shipments": page_of(shipments, request),
            "depot_kits": Kit.objects.filter(status=Kit.Status.AT_DEPOT).count(),
        },
    )


@require_POST
@capability_required(C.LOAD_ALLOCATION_LIST)
def shipment_dispatch(request: AuthenticatedRequest, shipment_id: int) -> HttpResponse:
    shipment = get_object_or_404(Shipment, pk=shipment_id)
    try:
        dispatch_shipment(shipment, by=request.user)
    except SupplyShortage as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, gettext("Shipment %(number)s dispatched.") % {"number": shipment.number}
        )
    return redirect("randomization:supply")


@capability_required(C.SEE_ARM)
def unblinded_allocations(request: AuthenticatedRequest) -> HttpResponse:
    """Every allocation with its arm: randomization manager; statistician after lock (C2)."""
    rows = arm_access.unblinded_allocations(user=request.user)
    response = render(request, "randomization/unblinded_allocations.html", {"rows": rows})
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
    return response
