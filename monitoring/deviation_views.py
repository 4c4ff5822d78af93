"""Protocol deviation log and the data manager's review (crf-spec.md §2.15, ADR 0025):
the log for monitors (own sites) and data managers, filters by site, review status and
classification; the review form for data managers only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.access import has_capability, sites_with
from accounts.decorators import capability_required
from accounts.roles import Capability as C
from crf import services as crf_services
from crf.models import DeviationReview
from crf.models.followup import DeviationSeverity
from monitoring.deviations import (
    STATUS_FILTERS,
    ReviewState,
    visible_deviations,
    with_review_state,
)
from monitoring.forms import DeviationReviewForm

PAGE_SIZE = 50


@capability_required(C.VIEW_DEVIATION_LOG)
def deviation_list(request: HttpRequest) -> HttpResponse:
    qs = with_review_state(visible_deviations(request.user))
    site = request.GET.get("site_code", "")
    if site:
        qs = qs.filter(participant__site__code=site)
    status = request.GET.get("status", "")
    if status in STATUS_FILTERS:
        qs = qs.filter(STATUS_FILTERS[status])
    classification = request.GET.get("classification", "")
    if classification in DeviationSeverity.values:
        qs = qs.filter(review_classification=classification)
    ordered = qs.order_by("participant__site__code", "deviation_date", "id")
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "monitoring/deviation_list.html",
        {
            "page": page,
            "site": site,
            "sites": sites_with(request.user, C.VIEW_DEVIATION_LOG).order_by("code"),
            "status": status,
            "statuses": [
                ("not_reviewed", gettext("Not reviewed")),
                ("reviewed", gettext("Reviewed")),
            ],
            "classification": classification,
            "classifications": DeviationSeverity.choices,
            "states": dict(ReviewState.choices),
        },
    )


def _deviation(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(with_review_state(visible_deviations(request.user)), pk=pk)


def _page(request: HttpRequest, deviation: Any, form: DeviationReviewForm | None = None) -> Any:
    can_review = has_capability(request.user, C.REVIEW_DEVIATION, deviation.participant.site_id)
    if can_review and form is None:
        form = DeviationReviewForm(
            initial={
                "classification": deviation.review_classification or deviation.severity,
                "expected_version": deviation.version,
            }
        )
    reviews = DeviationReview.objects.filter(deviation=deviation).select_related("reviewed_by")
    return render(
        request,
        "monitoring/deviation_detail.html",
        {
            "deviation": deviation,
            "reviews": reviews,
            "form": form if can_review else None,
            "states": dict(ReviewState.choices),
        },
    )


@capability_required(C.VIEW_DEVIATION_LOG)
def deviation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _deviation(request, pk))


@require_POST
@capability_required(C.REVIEW_DEVIATION)
def deviation_review(request: HttpRequest, pk: int) -> HttpResponse:
    deviation = _deviation(request, pk)
    form = DeviationReviewForm(request.POST)
    if form.is_valid():
        try:
            crf_services.review_deviation(
                deviation,
                classification=form.cleaned_data["classification"],
                comment=form.cleaned_data["comment"],
                by=request.user,
                expected_version=form.cleaned_data["expected_version"],
            )
        except crf_services.ReviewRefused as refused:
            form.add_error(None, refused.message)
        except crf_services.ParticipantLocked as locked:
            form.add_error(None, str(locked))
        else:
            messages.success(request, gettext("Deviation reviewed."))
            return redirect("monitoring:deviation_detail", pk=deviation.pk)
    return _page(request, deviation, form)
