"""Site pharmacy (blinded): shipments, receipt by scanning, stock, dispensing, accountability.

Monitors read these pages (kit accountability, roles.md R·S); only pharmacists act.
No view here loads an arm; stock is counted by status and expiry, never by arm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.access import has_capability, sites_with
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from participants.models import Participant
from platinium.lib.paging import page_of
from platinium.lib.study_time import paris_today
from randomization import accountability as accountability_log
from randomization.forms import (
    CloseReceiptForm,
    IncidentForm,
    KitActionForm,
    QuarantineDecisionForm,
    ScanForm,
)
from randomization.models import Kit, KitEvent, Shipment
from randomization.pharmacy_html import shipment_rows
from randomization.services.allocation import RandomizationRefused
from randomization.services.dispensing import (
    destroy_kit,
    dispense_kit,
    report_kit_incident,
    return_kit,
    send_to_destruction,
)
from randomization.services.scanning import KitRefused, scanned_kit
from randomization.services.supply import (
    UnscannedKits,
    close_receipt,
    decide_quarantine,
    receive_kit,
)
from sites.models import Site

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest

S = Kit.Status

# `?dispense_sort=`: the kits to dispense by participant (default) or oldest allocation first.
DISPENSE_SORTS = {
    "": ("participant__code", "code"),
    "allocated": ("allocated_at", "code"),
}


def _site(request: HttpRequest) -> Site:
    """The site chosen in the switcher if the user may see its pharmacy, else their first."""
    site = request.current_site.get()  # type: ignore[attr-defined]
    if site is not None and has_capability(request.user, C.VIEW_KIT_ACCOUNTABILITY, site):
        return site
    site = sites_with(request.user, C.VIEW_KIT_ACCOUNTABILITY).order_by("code").first()
    if site is None:
        raise Http404
    return site


@capability_required(C.VIEW_KIT_ACCOUNTABILITY)
def pharmacy_home(request: AuthenticatedRequest) -> HttpResponse:
    site = _site(request)
    kits = Kit.objects.filter(site=site)
    by_status = {row["status"]: row["n"] for row in kits.values("status").annotate(n=Count("pk"))}
    # `?show=expiring` / `?show=to_receive`: the home page's links (issue #11).
    show = request.GET.get("show", "")
    available = kits.expiring() if show == "expiring" else kits.filter(status=S.AVAILABLE)
    by_expiry = list(available.values("expiry").annotate(n=Count("pk")).order_by("expiry"))
    # Kits to dispense: paged on their own parameter, searched by participant or kit code,
    # sorted by participant or by allocation time (issue #13: every choice in the URL).
    search = request.GET.get("dispense_q", "").strip()[:20]
    sort = request.GET.get("dispense_sort", "")
    to_dispense = kits.to_dispense().select_related("participant")
    if search:
        to_dispense = to_dispense.filter(
            Q(participant__code__icontains=search) | Q(code__icontains=search)
        )
    to_dispense = to_dispense.order_by(*DISPENSE_SORTS.get(sort, DISPENSE_SORTS[""]))
    shipments = Shipment.objects.filter(site=site).order_by("-requested_at", "-number", "-pk")
    if show == "to_receive":
        shipments = shipments.to_receive()
    shipment_page = page_of(shipments, request)
    return render(
        request,
        "randomization/pharmacy_home.html",
        {
            "site": site,
            "by_status": [
                (label, by_status.get(value, 0))
                for value, label in S.choices
                if by_status.get(value)
            ],
            "total": sum(by_status.values()),
            "by_expiry": by_expiry,
            "to_dispense": page_of(to_dispense, request, param="dispense_page"),
            "dispense_q": search,
            "dispense_sort": sort if sort in DISPENSE_SORTS else "",
            "shipments": shipment_page,
            "shipment_rows": shipment_rows(shipment_page),
            "show": show,
            "can_manage": has_capability(request.user, C.MANAGE_KITS, site),
            "action_form": KitActionForm(),
        },
    )


def _shipment(request: HttpRequest, shipment_id: int) -> Shipment:
    return get_object_or_404(
        Shipment.objects.visible_to(request.user).select_related("site"), pk=shipment_id
    )


def _receipt_context(request: HttpRequest, shipment: Shipment) -> dict[str, Any]:
    """The kits of a shipment and the receipt counts. "Scanned" is read from the kit log
    (a RECEIVED event of this shipment), not from the kit's status: after the receipt a
    kit not scanned is lost, or quarantined like the scanned ones (issue #11)."""
    kits = list(Kit.objects.filter(shipment=shipment).order_by("code"))
    scanned = set(
        KitEvent.objects.filter(shipment=shipment, to_status=S.RECEIVED).values_list(
            "kit_id", flat=True
        )
    )
    return {
        "shipment": shipment,
        "kits": kits,
        "scanned": len(scanned),
        "not_scanned": len(kits) - len(scanned),
        "can_manage": has_capability(request.user, C.MANAGE_KITS, shipment.site_id),
        "scan_form": ScanForm(),
    }


def _shipment_page(
    request: HttpRequest,
    shipment: Shipment,
    *,
    close_form: CloseReceiptForm | None = None,
    confirm_missing: list[str] | None = None,
) -> HttpResponse:
    context = _receipt_context(request, shipment)
    context |= {
        "close_form": close_form or CloseReceiptForm(),
        "confirm_missing": confirm_missing or [],
        "decision_form": QuarantineDecisionForm(),
    }
    return render(request, "randomization/shipment_detail.html", context)


@capability_required(C.VIEW_KIT_ACCOUNTABILITY)
def shipment_detail(request: AuthenticatedRequest, shipment_id: int) -> HttpResponse:
    return _shipment_page(request, _shipment(request, shipment_id))


def _manage_shipment(request: HttpRequest, shipment_id: int) -> Shipment:
    shipment = _shipment(request, shipment_id)
    if not has_capability(request.user, C.MANAGE_KITS, shipment.site_id):
        raise Http404
    return shipment


@require_POST
@capability_required(C.MANAGE_KITS)
def shipment_receive(request: AuthenticatedRequest, shipment_id: int) -> HttpResponse:
    """One scan. From htmx (the scanner's Enter key) the answer is the receipt part of the
    page only, so the pharmacist scans the next kit without a reload; without JavaScript,
    a redirect to the shipment page."""
    shipment = _manage_shipment(request, shipment_id)
    form = ScanForm(request.POST)
    outcome, text = "error", gettext("Scan a kit code.")
    if form.is_valid():
        try:
            kit = receive_kit(shipment, by=request.user, scanned_code=form.cleaned_data["kit_code"])
        except KitRefused as exc:
            text = exc.message
        else:
            outcome, text = "success", gettext("Kit %(code)s received.") % {"code": kit.code}
    if request.htmx:  # type: ignore[attr-defined]  # django-htmx middleware
        context = _receipt_context(request, shipment)
        context["scan_message"] = (outcome, text)
        return render(request, "randomization/_receipt.html", context)
    getattr(messages, outcome)(request, text)
    return redirect("randomization:shipment_detail", shipment_id=shipment.pk)


@require_POST
@capability_required(C.MANAGE_KITS)
def shipment_close(request: AuthenticatedRequest, shipment_id: int) -> HttpResponse:
    shipment = _manage_shipment(request, shipment_id)
    form = CloseReceiptForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Record the temperature logger status."))
    else:
        try:
            close_receipt(shipment, by=request.user, **form.cleaned_data)
        except UnscannedKits as exc:
            # Nothing written: the same page asks to confirm, the temperature kept.
            messages.warning(request, exc.message)
            return _shipment_page(request, shipment, close_form=form, confirm_missing=exc.codes)
        except KitRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("Receipt recorded."))
    return redirect("randomization:shipment_detail", shipment_id=shipment.pk)


@require_POST
@capability_required(C.MANAGE_KITS)
def shipment_decision(request: AuthenticatedRequest, shipment_id: int) -> HttpResponse:
    shipment = _manage_shipment(request, shipment_id)
    form = QuarantineDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose a decision and give a reason."))
    else:
        try:
            decide_quarantine(
                shipment,
                by=request.user,
                release=form.cleaned_data["decision"] == "release",
                reason=form.cleaned_data["reason"],
            )
        except KitRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("Decision recorded for the whole shipment."))
    return redirect("randomization:shipment_detail", shipment_id=shipment.pk)


@capability_required(C.MANAGE_KITS)
def dispense(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Dispense to a participant by scanning; any other kit is refused with its reason."""
    participant = get_object_or_404(Participant.objects.visible_to(request.user), code=code)
    if not has_capability(request.user, C.MANAGE_KITS, participant.site_id):
        raise Http404
    form = ScanForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            kit = dispense_kit(
                participant, by=request.user, scanned_code=form.cleaned_data["kit_code"]
            )
        except KitRefused as exc:
            error = exc.message
        else:
            messages.success(
                request,
                gettext("Kit %(code)s dispensed to %(participant)s.")
                % {"code": kit.code, "participant": participant.code},
            )
            return redirect("randomization:pharmacy_home")
    allocated = Kit.objects.filter(participant=participant).order_by("allocated_at", "code")
    return render(
        request,
        "randomization/dispense.html",
        {
            "participant": participant,
            "form": ScanForm() if error else form,
            "error": error,
            "kits": allocated,
        },
    )


def _kit(request: HttpRequest, kit_code: str) -> Kit:
    kit = get_object_or_404(
        Kit.objects.visible_to(request.user).select_related("site", "participant", "shipment"),
        code=kit_code,
    )
    if kit.site_id is None or not has_capability(
        request.user, C.VIEW_KIT_ACCOUNTABILITY, kit.site_id
    ):
        raise Http404
    return kit


@capability_required(C.VIEW_KIT_ACCOUNTABILITY)
def kit_detail(request: AuthenticatedRequest, kit_code: str) -> HttpResponse:
    kit = _kit(request, kit_code)
    return render(
        request,
        "randomization/kit_detail.html",
        {
            "kit": kit,
            "events": kit.log.select_related("by", "participant").order_by("occurred_at", "id"),
            "can_manage": has_capability(request.user, C.MANAGE_KITS, kit.site_id),
            "incident_form": IncidentForm(),
        },
    )


@require_POST
@capability_required(C.MANAGE_KITS)
def kit_incident(request: AuthenticatedRequest, kit_code: str) -> HttpResponse:
    kit = _kit(request, kit_code)
    if not has_capability(request.user, C.MANAGE_KITS, kit.site_id):
        raise Http404
    form = IncidentForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose the incident and give a reason."))
        return redirect("randomization:kit_detail", kit_code=kit.code)
    try:
        result = report_kit_incident(
            kit,
            by=request.user,
            lost=form.cleaned_data["kind"] == "lost",
            doses_remaining=form.cleaned_data["doses_remaining"],
            reason=form.cleaned_data["reason"],
        )
    except RandomizationRefused as exc:
        messages.error(request, " ".join(exc.messages))
    except KitRefused as exc:
        messages.error(request, exc.message)
    else:
        if result.replacement is not None:
            messages.success(
                request,
                gettext("Incident recorded. Replacement kit: %(code)s.")
                % {"code": result.replacement.code},
            )
        else:
            messages.success(request, gettext("Incident recorded."))
    return redirect("randomization:kit_detail", kit_code=kit.code)


@require_POST
@capability_required(C.MANAGE_KITS)
def kit_action(request: AuthenticatedRequest) -> HttpResponse:
    """Return, send to destruction or destroy a kit by scanning it."""
    site = _site(request)
    if not has_capability(request.user, C.MANAGE_KITS, site):
        raise Http404
    form = KitActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Scan a kit and choose an action."))
        return redirect("randomization:pharmacy_home")
    action = {
        "return": return_kit,
        "to_destruction": send_to_destruction,
        "destroy": destroy_kit,
    }[form.cleaned_data["action"]]
    try:
        kit = scanned_kit(form.cleaned_data["kit_code"], site=site)
        action(kit, by=request.user, reason=form.cleaned_data["reason"])
    except KitRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("Kit %(code)s: %(status)s.")
            % {"code": kit.code, "status": kit.get_status_display()},
        )
    return redirect("randomization:pharmacy_home")


@capability_required(C.VIEW_KIT_ACCOUNTABILITY)
def accountability(request: AuthenticatedRequest) -> HttpResponse:
    """Every kit movement of the site, oldest first (drug accountability log)."""
    site = _site(request)
    return render(
        request,
        "randomization/accountability.html",
        {"site": site, "events": page_of(accountability_log.events_of(site), request)},
    )


@capability_required(C.VIEW_KIT_ACCOUNTABILITY)
def accountability_csv(request: AuthenticatedRequest) -> HttpResponse:
    """The whole log of the site as CSV (rows read in chunks; a site's log is a few
    thousand lines at most, so the file is built in memory and has a length)."""
    site = _site(request)
    lines = accountability_log.csv_lines(accountability_log.events_of(site).iterator(500))
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    filename = f"accountability-{site.code}-{paris_today(timezone.now()).isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
