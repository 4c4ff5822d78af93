"""SDV progress against the plan (monitoring/sdv_plan.py), computed in the database.

A verification is current while the row's `version` equals the verified one: any later
change, whatever the path, bumps the version (audit.versioning.save_versioned) and the row
shows as "to re-verify" — no hook, no signal (docs/decisions/0014-sdv-and-signature.md).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from monitoring.models import Verification
from monitoring.sdv_plan import SDV_PLAN, CriticalForm
from platinium.lib.compiled import CompiledQuery, compile_query


@dataclass
class Progress:
    verified: int = 0
    total: int = 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.verified == self.total

    @property
    def to_do(self) -> bool:
        """Critical data left to verify (or to re-verify after a change)."""
        return self.verified < self.total

    @property
    def percent(self) -> int:
        return round(100 * self.verified / self.total) if self.total else 0

    def add(self, other: Progress) -> None:
        self.verified += other.verified
        self.total += other.total


def current_verification(form: CriticalForm) -> Exists:
    """The row (OuterRef) has a verification of its present version."""
    return Exists(
        Verification.objects.filter(
            model_label=form.label, object_id=OuterRef("pk"), version=OuterRef("version")
        )
    )


def _count(form: CriticalForm, *, verified: bool) -> Coalesce:
    rows = form.rows().filter(**{form.participant_path: OuterRef("pk")})
    if verified:
        rows = rows.filter(current_verification(form))
    counted = (
        rows.order_by()
        .annotate(one=Value(1, output_field=IntegerField()))
        .values("one")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_sdv_counts(participants: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """Annotate each participant with its rows and verified rows per plan entry (one query)."""
    annotations: dict[str, Any] = {}
    for i, form in enumerate(SDV_PLAN):
        annotations[f"sdv_rows_{i}"] = _count(form, verified=False)
        annotations[f"sdv_verified_{i}"] = _count(form, verified=True)
    annotated: models.QuerySet[Any] = participants.annotate(**annotations)
    return annotated


def progress_query(site_ids: tuple[int, ...]) -> models.QuerySet[Any]:
    """(site, plan entry, rows, verified rows) of the sites' participants: one grouped
    count per plan entry in one UNION ALL (the ORM form of `progress_by_site`)."""
    parts = []
    for index, form in enumerate(SDV_PLAN):
        site = f"{form.participant_path}__site"
        parts.append(
            form.rows()
            .filter(**{f"{site}__in": site_ids})
            .order_by()
            .values(in_site=F(site))
            .annotate(
                entry=Value(index, output_field=IntegerField()),
                rows=Count("pk"),
                verified=Count("pk", filter=Q(current_verification(form))),
            )
        )
    union: models.QuerySet[Any] = parts[0].union(*parts[1:], all=True)
    return union.values_list("in_site", "entry", "rows", "verified")


@functools.lru_cache(maxsize=64)
def _progress_query(site_ids: tuple[int, ...]) -> CompiledQuery:
    """`progress_query`, compiled once per process and set of sites (a user's scope rarely
    changes) and run as a prepared statement (ADR 0045): the ORM would otherwise build and
    compile one grouped count per plan entry on every request. Nothing in it depends on
    the data; the site ids are its parameters."""
    return compile_query(progress_query(site_ids), expected=0)


def progress_by_site(site_ids: list[int]) -> dict[int, Progress]:
    """Data points per site, aggregated in the database: one grouped count per plan entry,
    sent as one UNION ALL statement, instead of two subqueries per participant (the
    review dashboard's rows; docs/decisions/0031-review-measured-and-digest-opt-out.md)."""
    progress: dict[int, Progress] = {}
    if not SDV_PLAN or not site_ids:
        return progress
    for in_site, entry, rows, verified in _progress_query(tuple(sorted(site_ids))).rows():
        points = SDV_PLAN[entry].points
        site_progress = progress.setdefault(in_site, Progress())
        site_progress.add(Progress(verified * points, rows * points))
    return progress


def progress_of(annotated: Any) -> Progress:
    """Data points of a participant annotated by `with_sdv_counts`."""
    progress = Progress()
    for i, form in enumerate(SDV_PLAN):
        progress.total += getattr(annotated, f"sdv_rows_{i}") * form.points
        progress.verified += getattr(annotated, f"sdv_verified_{i}") * form.points
    return progress


VERIFIED = "verified"
TO_REVERIFY = "to_reverify"
NOT_VERIFIED = "not_verified"


@dataclass
class RowStatus:
    form: CriticalForm
    obj: Any
    state: str
    last_verified_at: Any = None
    last_verified_by: str = ""

    @property
    def key(self) -> str:
        """What a verify button posts: the row and the version the monitor saw."""
        return f"{self.form.label}:{self.obj.pk}:{self.obj.version}"


@dataclass
class Section:
    title: Any
    rows: list[RowStatus] = field(default_factory=list)

    @property
    def unverified_keys(self) -> list[str]:
        return [row.key for row in self.rows if row.state != VERIFIED]


def rows_of(participant: Any) -> list[RowStatus]:
    """Every critical row of one participant with its verification state (one query per
    plan entry, whatever the number of rows)."""
    out: list[RowStatus] = []
    for form in SDV_PLAN:
        newest = Verification.objects.filter(
            model_label=form.label, object_id=OuterRef("pk")
        ).order_by("-verified_at", "-id")
        rows = (
            form.rows()
            .filter(**{form.participant_path: participant})
            .annotate(
                sdv_current=current_verification(form),
                sdv_last_at=Subquery(newest.values("verified_at")[:1]),
                sdv_last_by=Subquery(newest.values("verified_by__username")[:1]),
            )
            .order_by("pk")
        )
        for obj in rows:
            if obj.sdv_current:
                state = VERIFIED
            elif obj.sdv_last_at is not None:
                state = TO_REVERIFY
            else:
                state = NOT_VERIFIED
            out.append(RowStatus(form, obj, state, obj.sdv_last_at, obj.sdv_last_by or ""))
    return out
