"""The data manager's review of a protocol deviation (crf-spec.md §2.15, ADR 0025)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.roles import Capability as C
from audit.services import record
from crf.models import CrfStatus, DeviationReview, ProtocolDeviation
from crf.models.deviation_review import MAX_REVIEW_COMMENT
from crf.models.followup import DeviationSeverity
from participants.services import lock_for_write


class ReviewRefused(Exception):
    """The review is not possible: `message` says why (translated)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@transaction.atomic
def review_deviation(
    deviation: ProtocolDeviation,
    *,
    classification: str,
    comment: str,
    by: Any,
    expected_version: int | None = None,
) -> DeviationReview:
    """Record the sponsor's classification (major / minor) and comment on the version of
    the deviation the reviewer read. Casebook and database locks refuse (lock_for_write)."""
    if not has_capability(by, C.REVIEW_DEVIATION, deviation.participant.site_id):
        raise PermissionDenied
    if classification not in DeviationSeverity.values:
        raise ReviewRefused(gettext("Choose major or minor."))
    comment = (comment or "").strip()
    if not comment:
        raise ReviewRefused(gettext("Write a review comment."))
    if len(comment) > MAX_REVIEW_COMMENT:
        raise ReviewRefused(
            gettext("The comment is too long: %(max)d characters at most.")
            % {"max": MAX_REVIEW_COMMENT}
        )
    lock_for_write(deviation.participant_id)
    fresh = ProtocolDeviation.objects.select_for_update().get(pk=deviation.pk)
    if fresh.status == CrfStatus.ENTERED_IN_ERROR:
        raise ReviewRefused(gettext("This form was marked entered in error."))
    if expected_version is not None and fresh.version != expected_version:
        raise ReviewRefused(
            gettext("The deviation changed since you opened it: read it again and review it.")
        )
    review = DeviationReview.objects.create(
        deviation=fresh,
        participant_id=fresh.participant_id,
        deviation_version=fresh.version,
        classification=classification,
        comment=comment,
        reviewed_by=by,
    )
    record(
        "deviation.reviewed",
        target=fresh,
        by=by,
        reason=comment,
        data={
            "classification": classification,
            "version": fresh.version,
            "site_severity": fresh.severity,
        },
    )
    return review
