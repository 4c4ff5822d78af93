"""Home-page work lists of monitors and data managers (issue #11, ADR 0023): queries to
review, critical data to verify, SAEs to acknowledge, open queries by age, locks in force.
Every count is a query over the user's sites; none depends on the arm.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from crf.models import AdverseEvent, DataQuery, QueryStatus
from monitoring import sdv, signing
from participants.models import Lock, Participant

# Age of an unresolved query from `raised_at`, the bands of the dashboard (ADR 0021).
AGE_BANDS = ("lt7", "7to30", "gt30")


def raised_in_band(band: str) -> Q:
    now = timezone.now()
    week, month = now - datetime.timedelta(days=7), now - datetime.timedelta(days=30)
    return {
        "lt7": Q(raised_at__gt=week),
        "7to30": Q(raised_at__lte=week, raised_at__gte=month),
        "gt30": Q(raised_at__lt=month),
    }[band]


def queries_to_review(user: Any, scope: Q) -> int:
    """Answered by the site, waiting for the monitor / data manager to close or reopen."""
    return DataQuery.objects.visible_to(user).filter(scope, status=QueryStatus.ANSWERED).count()


def participants_to_verify(scope: Q) -> int:
    """Participants with critical data (SDV plan) not verified in their present version."""
    annotated = sdv.with_sdv_counts(Participant.objects.filter(scope).order_by())
    return sum(1 for participant in annotated if sdv.progress_of(participant).to_do)


def saes_to_acknowledge(user: Any) -> int:
    return AdverseEvent.objects.visible_to(user).awaiting_acknowledgement().count()


def unresolved_queries_by_age(user: Any) -> dict[str, int]:
    """band → unresolved queries (open, reopened, answered) raised in that band."""

    unresolved = DataQuery.objects.visible_to(user).unresolved().order_by()
    counts = unresolved.aggregate(
        **{band: Count("pk", filter=raised_in_band(band)) for band in AGE_BANDS}
    )
    return {band: counts[band] for band in AGE_BANDS}


def locks_in_force(user: Any) -> dict[str, int]:
    """level → locks in force (database, casebook, form) the user may see."""

    current = Lock.objects.visible_to(user).current().order_by()
    counts = current.aggregate(
        **{level: Count("pk", filter=Q(level=level)) for level in Lock.Level.values}
    )
    return {level: counts[level] for level in Lock.Level.values}


def casebooks_to_resign(scope: Q) -> int:
    """Signed casebooks whose data changed after the signature (monitoring/signing.py)."""
    return sum(signing.to_resign_by_site(scope).values())
