"""Audit-trail pages. HTTP glue above the audit layer (import-linter allows these imports)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.apps import apps
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.access import has_capability
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from audit.actions import filter_choices
from audit.history import object_history
from audit.labels import readable
from audit.models import AuditEvent
from platinium.lib.paging import bounded_page_of

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest


@capability_required(C.VIEW_AUDIT)
def object_trail(request: AuthenticatedRequest, model_label: str, pk: str) -> HttpResponse:
    """Every change of one object. The object must be visible to the user (else 404)."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        raise Http404 from None
    manager = model._default_manager
    if not hasattr(manager, "visible_to") or not getattr(model, "AUDIT_PAGE", True):
        raise Http404
    try:
        obj = manager.visible_to(request.user).get(pk=pk)
    except (model.DoesNotExist, ValueError):
        raise Http404 from None
    site_id = getattr(obj, "site_id", None)
    if site_id is not None and not has_capability(request.user, C.VIEW_AUDIT, site_id):
        raise Http404
    events = AuditEvent.objects.for_target(obj).select_related("actor")
    return render(
        request,
        "audit/object_trail.html",
        {
            "object": obj,
            "history": [readable(model, entry) for entry in object_history(obj)],
            "events": events,
            "model_name": model._meta.verbose_name,
        },
    )


def _parse_date(value: str) -> datetime | None:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


LOG_COUNT_BOUND = 10_000


@capability_required(C.VIEW_GLOBAL_AUDIT_LOG)
def log(request: AuthenticatedRequest) -> HttpResponse:
    """Searchable log of business events, for data managers."""
    # Only all-site roles hold this capability, so the log is not filtered by site.
    events = AuditEvent.objects.all()
    filters = {
        "q": request.GET.get("q", "").strip()[:100],
        "action": request.GET.get("action", "").strip()[:64],
        "user": request.GET.get("user", "").strip()[:150],
        "site": request.GET.get("site", "").strip()[:2],
        "start": request.GET.get("start", ""),
        "end": request.GET.get("end", ""),
    }
    if filters["q"]:
        events = events.filter(target_repr__icontains=filters["q"])
    if filters["action"].endswith("."):
        events = events.filter(action__startswith=filters["action"])
    elif filters["action"]:
        events = events.filter(action=filters["action"])
    if filters["user"]:
        events = events.filter(actor_username__iexact=filters["user"])
    if filters["site"]:
        events = events.filter(site_code=filters["site"])
    start = _parse_date(filters["start"])
    if start:
        events = events.filter(occurred_at__gte=start)
    end = _parse_date(filters["end"])
    if end:
        events = events.filter(occurred_at__lt=end + timedelta(days=1))
    # Neither a count of the whole table nor a scan for its distinct actions (0022).
    page = bounded_page_of(events.order_by("-occurred_at", "-id"), request, bound=LOG_COUNT_BOUND)
    return render(
        request,
        "audit/log.html",
        {"page": page, "filters": filters, "actions": filter_choices()},
    )
