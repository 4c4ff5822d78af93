"""Review dashboard figures (issue #9): every figure is an aggregate over the user's sites,
a fixed number of SQL queries whatever the number of participants. No arm anywhere.

Scope: the sites where the user holds VIEW_CLINICAL_DATA (the dashboard shows clinical
counts; the pharmacist, without clinical access, is refused: ADR 0021).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.access import site_filter
from accounts.roles import Capability as C
from crf.models import AdverseEvent, DataQuery, EndOfStudy
from crf.open_queries import HIDDEN_UNTIL_LOCK
from eligibility.models import Screening
from monitoring import sdv, signing
from participants.models import Participant
from platinium.lib.study_time import paris_today
from randomization.models import Allocation
from sites.models import Site

# docs/trial/protocol.md: 326 participants, recruitment until 9 October 2028.
TARGET = 326
PLANNED_END = datetime.date(2028, 10, 9)

AGE_BANDS: tuple[tuple[str, Any], ...] = (
    ("lt7", _("under 7 days")),
    ("7to30", _("7 to 30 days")),
    ("gt30", _("over 30 days")),
)


def scope(user: Any, field: str = "site") -> Q:
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


def recruitment(user: Any) -> dict[str, Any]:
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


def site_rows(user: Any) -> list[dict[str, Any]]:
    """One row per site in scope with every per-site figure (one query per figure)."""
    sites = list(Site.objects.filter(scope(user, field="pk")).order_by("code"))
    ids = [site.pk for site in sites]
    randomized = _per_site(
        Allocation.objects.filter(site__in=ids, error_flag=False)
        .order_by()
        .values("site")
        .annotate(n=Count("pk"))
    )
    queries = (
        DataQuery.objects.unresolved()
        .exclude(model_label=HIDDEN_UNTIL_LOCK)
        .filter(participant__site__in=ids)
        .order_by()
        .annotate(band=_age_band())
        .values("participant__site", "band")
        .annotate(n=Count("pk"))
    )
    open_queries: dict[int, dict[str, int]] = {}
    for row in queries:
        open_queries.setdefault(row["participant__site"], {})[row["band"]] = row["n"]
    saes = _per_site(
        AdverseEvent.objects.awaiting_acknowledgement()
        .filter(participant__site__in=ids)
        .order_by()
        .values("participant__site")
        .annotate(n=Count("pk")),
        key="participant__site",
    )
    in_scope = Participant.objects.filter(site__in=ids).order_by()
    sdv_progress: dict[int, sdv.Progress] = {}
    for participant in sdv.with_sdv_counts(in_scope):
        sdv_progress.setdefault(participant.site_id, sdv.Progress()).add(
            sdv.progress_of(participant)
        )
    to_resign: dict[int, int] = {}
    for participant in signing.with_casebook_state(in_scope):
        if signing.signature_status_of(participant).state == signing.TO_RESIGN:
            to_resign[participant.site_id] = to_resign.get(participant.site_id, 0) + 1
    rows = []
    for site in sites:
        bands = open_queries.get(site.pk, {})
        progress = sdv_progress.get(site.pk, sdv.Progress())
        rows.append(
            {
                "code": site.code,
                "name": str(site),
                "randomized": randomized.get(site.pk, 0),
                "queries": {key: bands.get(key, 0) for key, _label in AGE_BANDS},
                "queries_total": sum(bands.values()),
                "sdv_verified": progress.verified,
                "sdv_total": progress.total,
                "sdv_percent": progress.percent,
                "saes_awaiting": saes.get(site.pk, 0),
                "to_resign": to_resign.get(site.pk, 0),
            }
        )
    return rows


def _age_band() -> Case:
    now = timezone.now()
    return Case(
        When(raised_at__gt=now - datetime.timedelta(days=7), then=Value("lt7")),
        When(raised_at__gte=now - datetime.timedelta(days=30), then=Value("7to30")),
        default=Value("gt30"),
    )


def consort(user: Any) -> list[dict[str, Any]]:
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


def figures(user: Any) -> dict[str, Any]:
    sites = site_rows(user)
    return {
        "recruitment": recruitment(user),
        "consort": consort(user),
        "sites": sites,
        "age_bands": [{"key": key, "label": str(label)} for key, label in AGE_BANDS],
        "randomized_total": sum(row["randomized"] for row in sites),
    }
