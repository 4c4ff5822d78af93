"""Source data verification pages (monitor, capability SDV, own sites)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.access import site_filter
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from monitoring import sdv
from monitoring.sdv_plan import SECTIONS
from monitoring.services import Refused, parse_row_key, verify_rows
from participants.models import Participant

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


def _sdv_participant(request: HttpRequest, code: str) -> Participant:
    """The participant, if at one of the user's SDV sites; another site's is a 404."""
    qs = Participant.objects.filter(site_filter(request.user, C.SDV)).select_related("site")
    return get_object_or_404(qs, code=code)


@capability_required(C.SDV)
def sdv_progress(request: AuthenticatedRequest) -> HttpResponse:
    """Per site, then per participant: critical data verified against the plan."""
    in_scope = Participant.objects.filter(site_filter(request.user, C.SDV))
    site_code = request.GET.get("site_code", "")
    if site_code:
        in_scope = in_scope.filter(site__code=site_code)
    # `?show=to_verify`: participants with critical data not (or no longer) verified.
    to_verify = request.GET.get("show") == "to_verify"
    participants = sdv.with_sdv_counts(
        in_scope.select_related("site").order_by("site__code", "code")
    )
    sites: dict[Any, dict[str, Any]] = {}
    for participant in participants:
        progress = sdv.progress_of(participant)
        if to_verify and not progress.to_do:
            continue
        entry = sites.setdefault(
            participant.site_id,
            {"site": participant.site, "progress": sdv.Progress(), "participants": []},
        )
        entry["progress"].add(progress)
        entry["participants"].append((participant, progress))
    return render(request, "monitoring/sdv_progress.html", {"sites": list(sites.values())})


def describe(obj: Any) -> str:
    """A row's label without a query: its form and its key within the participant."""
    parts = [str(obj._meta.verbose_name).capitalize()]
    for name in ("number", "ae_number", "episode_number", "stay_number"):
        value = getattr(obj, name, None)
        if value is not None:
            parts.append(f"n° {value}")
    if getattr(obj, "visit", ""):
        parts.append(obj.get_visit_display())
    if getattr(obj, "study_day", None) is not None:
        parts.append(f"D{obj.study_day}")
    return " · ".join(parts)


def _row_url(participant: Participant, obj: Any) -> str:
    from monitoring.lock_views import form_url

    if obj._meta.label_lower == "eligibility.consent":
        return reverse("eligibility:screening_detail", kwargs={"pk": obj.screening_id})
    obj.participant = participant  # form_url reads the code; no query
    return form_url(obj)


@capability_required(C.SDV)
def sdv_participant(request: AuthenticatedRequest, code: str) -> HttpResponse:
    participant = _sdv_participant(request, code)
    rows = sdv.rows_of(participant)
    sections = {str(title): sdv.Section(title) for title in SECTIONS}
    progress = sdv.Progress()
    for row in rows:
        row.label = describe(row.obj)  # type: ignore[attr-defined]
        row.url = _row_url(participant, row.obj)  # type: ignore[attr-defined]
        sections[str(row.form.section)].rows.append(row)
        progress.total += row.form.points
        progress.verified += row.form.points if row.state == sdv.VERIFIED else 0
    # One action for the rows of a study day (an injection day, an infection's onset…).
    days: dict[int, list[str]] = {}
    for row in rows:
        day = getattr(row.obj, "study_day", None)
        if day is not None and row.state != sdv.VERIFIED:
            days.setdefault(day, []).append(row.key)
    return render(
        request,
        "monitoring/sdv_participant.html",
        {
            "participant": participant,
            "sections": [s for s in sections.values() if s.rows],
            "progress": progress,
            "unverified": [row.key for row in rows if row.state != sdv.VERIFIED],
            "days": sorted(days.items()),
        },
    )


@require_POST
@capability_required(C.SDV)
def sdv_verify(request: AuthenticatedRequest, code: str) -> HttpResponse:
    participant = _sdv_participant(request, code)
    keys = [parse_row_key(key) for key in request.POST.getlist("row")]
    try:
        if any(key is None for key in keys):
            raise Refused(gettext("This row is not part of the SDV plan of this participant."))
        created = verify_rows(participant, rows=[k for k in keys if k is not None], by=request.user)
    except Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            gettext("%(n)d row(s) verified.") % {"n": len(created)},
        )
    return redirect("monitoring:sdv_participant", code=participant.code)
