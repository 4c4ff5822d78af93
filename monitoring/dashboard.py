"""Review dashboard figures (issue #9): every figure is an aggregate over the user's sites,
a fixed number of SQL queries whatever the number of participants. No arm anywhere.

Scope: the sites where the user holds VIEW_CLINICAL_DATA (the dashboard shows clinical
counts; the pharmacist, without clinical access, is refused: ADR 0021).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DateTimeField, Exists, F, Min, OuterRef, Q, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.access import site_filter
from accounts.roles import Capability as C
from crf.models import AdverseEvent, DataQuery, DeviationReview, EndOfStudy, ProtocolDeviation
from crf.models.queries import AWAITING_ANSWER, QueryStatus
from crf.open_queries import HIDDEN_UNTIL_LOCK
from eligibility.models import Screening
from monitoring import sdv, signing
from participants.models import Participant
from platinium.lib.aggregates import Median
from platinium.lib.study_time import paris_today
from randomization.models import Allocation
from sites.models import Site

if TYPE_CHECKING:
    from accounts.types import User

# docs/trial/protocol.md: 326 participants, recruitment until 9 October 2028.
TARGET = 326
PLANNED_END = datetime.date(2028, 10, 9)

AGE_BANDS: tuple[tuple[str, Any], ...] = (
    ("lt7", _("under 7 days")),
    ("7to30", _("7 to 30 days")),
    ("gt30", _("over 30 days")),
)


def scope(user: User, field: str = "site") -> Q:
    return site_filter(user, C.VIEW_CLINICAL_DATA, field=field)


def _per_site(rows: Any, key: str = "site") -> dict[int, int]:
    return {row[key]: row["n"] for row in rows}


def expected_by(day: datetime.date, first: datetime.date) -> int:
    """Linear recruitment from the first randomization to the planned end (ADR 0021)."""
    if day <= first:
        return 0
    span = (PLANNED_END - first).days
    if span <= 0 or day >= PLANNED_END:
        return TARGET
    return round(TARGET * (day - first).days / span)


def _day(value: datetime.date | datetime.datetime) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def recruitment(user: User) -> dict[str, Any]:
    allocations = Allocation.objects.filter(scope(user), error_flag=False).order_by()
    months = allocations.annotate(month=TruncMonth("randomized_at")).values("month")
    by_month = {_day(row["month"]): row["n"] for row in months.annotate(n=Count("pk"))}
    curve: list[dict[str, Any]] = []
    if by_month:
        first = min(by_month)
        today = paris_today(timezone.now())
        total = 0
        for month in _months(first, max(today, max(by_month))):
            total += by_month.get(month, 0)
            expected = expected_by(month, first)
            curve.append({"month": month.strftime("%Y-%m"), "actual": total, "expected": expected})
    return {"target": TARGET, "planned_end": PLANNED_END.isoformat(), "curve": curve}


def site_rows(user: User) -> list[dict[str, Any]]:
    """One row per site in scope with every per-site figure (one query per figure)."""
    sites = list(Site.objects.filter(scope(user, field="pk")).order_by("code"))
    ids = [site.pk for site in sites]
    randomized = _per_site(
        Allocation.objects.filter(site__in=ids, error_flag=False)
        .order_by()
        .values("site")
        .annotate(n=Count("pk"))
    )
    ageing = query_ageing(ids)
    saes = _per_site(
        AdverseEvent.objects.awaiting_acknowledgement()
        .filter(participant__site__in=ids)
        .order_by()
        .values("participant__site")
        .annotate(n=Count("pk")),
        key="participant__site",
    )
    sdv_progress = sdv.progress_by_site(ids)
    to_resign = signing.to_resign_by_site(Q(site__in=sorted(ids)))
    deviations = deviation_counts(ids)
    rows = []
    for site in sites:
        site_ageing = ageing.get(site.pk, _no_ageing())
        bands = site_ageing.pop("bands")
        progress = sdv_progress.get(site.pk, sdv.Progress())
        rows.append(
            {
                "code": site.code,
                "name": str(site),
                "randomized": randomized.get(site.pk, 0),
                # In AGE_BANDS order: the template writes the cells in this order.
                "queries": {key: bands.get(key, 0) for key, _label in AGE_BANDS},
                "queries_total": sum(bands.values()),
                "sdv_verified": progress.verified,
                "sdv_total": progress.total,
                "sdv_percent": progress.percent,
                "saes_awaiting": saes.get(site.pk, 0),
                "to_resign": to_resign.get(site.pk, 0),
                "ageing": site_ageing,
                "deviations": deviations.get(site.pk, {"total": 0, "to_review": 0}),
            }
        )
    return rows


def deviation_counts(site_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per site, in one query: current protocol deviations, and those the data manager has
    not reviewed in their present version (ADR 0025)."""
    reviewed = Exists(
        DeviationReview.objects.filter(
            deviation=OuterRef("pk"), deviation_version=OuterRef("version")
        )
    )
    rows = (
        ProtocolDeviation.objects.current()
        .filter(participant__site__in=site_ids)
        .order_by()
        .values("participant__site")
        .annotate(total=Count("pk"), to_review=Count("pk", filter=~Q(reviewed)))
    )
    return {
        row["participant__site"]: {"total": row["total"], "to_review": row["to_review"]}
        for row in rows
    }


def _no_ageing() -> dict[str, Any]:
    return {"bands": {}, "open": 0, "median_days": None, "oldest_days": None, "answered": 0}


def query_ageing(site_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per site, in one query: unresolved queries by age band (ADR 0021); queries waiting
    for the site's answer (open or reopened), their median and oldest age in days since
    raised (PostgreSQL percentile_cont); answered queries waiting for the reviewer.
    Day-10 biology queries are left out (randomization.md §5)."""
    now = timezone.now()
    week, month = now - datetime.timedelta(days=7), now - datetime.timedelta(days=30)
    bands = {
        "lt7": Q(raised_at__gt=week),
        "7to30": Q(raised_at__lte=week, raised_at__gte=month),
        "gt30": Q(raised_at__lt=month),
    }
    waiting = Q(status__in=AWAITING_ANSWER)
    age = Value(now, output_field=DateTimeField()) - F("raised_at")
    rows = (
        DataQuery.objects.exclude(model_label=HIDDEN_UNTIL_LOCK)
        .filter(participant__site__in=site_ids, status__in=[*AWAITING_ANSWER, QueryStatus.ANSWERED])
        .order_by()
        .values("participant__site")
        .annotate(
            **{f"band_{key}": Count("pk", filter=band) for key, band in bands.items()},
            open=Count("pk", filter=waiting),
            median=Median(age, filter=waiting),
            oldest=Min("raised_at", filter=waiting),
            answered=Count("pk", filter=Q(status=QueryStatus.ANSWERED)),
        )
    )
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        median = row["median"]
        oldest = row["oldest"]
        out[row["participant__site"]] = {
            "bands": {key: row[f"band_{key}"] for key in bands if row[f"band_{key}"]},
            "open": row["open"],
            "median_days": None if median is None else round(median.total_seconds() / 86400, 1),
            "oldest_days": None if oldest is None else (now - oldest).days,
            "answered": row["answered"],
        }
    return out


def consort(user: User) -> list[dict[str, Any]]:
    """Screened → eligible → enrolled → randomized → completed, over the user's sites."""
    screenings = Screening.objects.filter(scope(user)).aggregate(
        screened=Count("pk"),
        eligible=Count(
            "pk", filter=Q(status__in=[Screening.Status.ELIGIBLE, Screening.Status.ENROLLED])
        ),
    )
    enrolled = Participant.objects.filter(scope(user)).count()
    randomized = Allocation.objects.filter(scope(user), error_flag=False).count()
    completed = (
        EndOfStudy.objects.current()
        .filter(scope(user, field="participant__site"), end_status="COMPLETED")
        .count()
    )
    return [
        {"step": pgettext("CONSORT step", "Screened"), "n": screenings["screened"]},
        {"step": pgettext("CONSORT step", "Eligible"), "n": screenings["eligible"]},
        {"step": pgettext("CONSORT step", "Enrolled"), "n": enrolled},
        {"step": pgettext("CONSORT step", "Randomized"), "n": randomized},
        {"step": pgettext("CONSORT step", "Completed"), "n": completed},
    ]


def figures(user: User) -> dict[str, Any]:
    sites = site_rows(user)
    return {
        "recruitment": recruitment(user),
        "consort": consort(user),
        "sites": sites,
        "age_bands": [{"key": key, "label": str(label)} for key, label in AGE_BANDS],
        "randomized_total": sum(row["randomized"] for row in sites),
    }
