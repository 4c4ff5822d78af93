"""The protocol deviation log with the data manager's review state (ADR 0025), one query
for a page whatever the number of deviations: the latest review of each deviation comes
from subqueries, and its state from comparing versions (never a stored flag)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability as C
from crf.models import DeviationReview, ProtocolDeviation


class ReviewState(models.TextChoices):
    NOT_REVIEWED = "not_reviewed", _("Not reviewed")
    CHANGED = "changed", _("Changed since review")
    REVIEWED = "reviewed", _("Reviewed")


# The "status" filter: reviewed, or not (never reviewed, or changed since the review).
STATUS_FILTERS: dict[str, Q] = {
    "reviewed": Q(review_state=ReviewState.REVIEWED),
    "not_reviewed": ~Q(review_state=ReviewState.REVIEWED),
}


def visible_deviations(user: Any) -> models.QuerySet[ProtocolDeviation]:
    """Current deviations (not entered in error) of the sites whose log the user reads."""
    return (
        ProtocolDeviation.objects.current()
        .filter(site_filter(user, C.VIEW_DEVIATION_LOG, field="participant__site"))
        .select_related("participant__site")
    )


def with_review_state(qs: models.QuerySet[ProtocolDeviation]) -> models.QuerySet[Any]:
    latest = DeviationReview.objects.filter(deviation=OuterRef("pk")).order_by(
        "-reviewed_at", "-id"
    )
    return qs.annotate(
        review_version=Subquery(latest.values("deviation_version")[:1]),
        review_classification=Subquery(latest.values("classification")[:1]),
        review_at=Subquery(latest.values("reviewed_at")[:1]),
        review_by=Subquery(latest.values("reviewed_by__username")[:1]),
    ).annotate(
        review_state=Case(
            When(review_version__isnull=True, then=Value(ReviewState.NOT_REVIEWED.value)),
            When(review_version=F("version"), then=Value(ReviewState.REVIEWED.value)),
            default=Value(ReviewState.CHANGED.value),
        )
    )


def state_label(state: str) -> str:
    return str(ReviewState(state).label)
