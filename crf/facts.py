"""The participant facts that cross-form rules need, read once per save."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.utils import timezone

from platinium.lib.compiled import PLACEHOLDER, CompiledQuery, compile_query
from platinium.lib.study_time import d0_from_randomized_at, paris_date


@dataclass(frozen=True)
class ParticipantFacts:
    randomized_at: datetime | None
    d0: date | None
    now: datetime
    today: date  # Europe/Paris
    death_date: date | None = None
    death_at: datetime | None = None
    # (admitted_at, discharged_at or None), stay number order; entered-in-error excluded.
    icu_stays: tuple[tuple[int, datetime, datetime | None], ...] = ()
    weight_kg: Decimal | None = None
    sex: str = ""
    participant_id: int | None = None

    @cached_property
    def kit_codes(self) -> frozenset[str]:
        """Kits the pharmacy dispensed to the participant: the only kits an injection may
        name. Read when a rule first asks (only the study-drug rules do), not on every save."""
        from randomization.selectors import dispensed_kit_codes_for

        if self.participant_id is None:
            return frozenset()
        return frozenset(dispensed_kit_codes_for(self.participant_id))

    @property
    def randomized(self) -> bool:
        return self.randomized_at is not None

    def study_day(self, on: date) -> int | None:
        return None if self.d0 is None else (on - self.d0).days


def facts_query(participant_id: Any) -> Any:
    """The participant's facts as one row (values_list): randomization time, death,
    ICU stays (three arrays in stay number order), baseline weight and sex; entered-in-error
    forms excluded. `.first()` on an unordered QuerySet is the lowest id: so here."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import OuterRef, Subquery

    from crf.models import Baseline, Death, IcuStay
    from participants.models import Participant
    from randomization.models import Allocation

    mine = {"participant": OuterRef("pk")}
    randomized = Allocation.objects.filter(**mine).order_by()
    death = Death.objects.current().filter(**mine).order_by("pk")
    baseline = Baseline.objects.current().filter(**mine).order_by("pk")
    stays = IcuStay.objects.current().filter(**mine).order_by("stay_number")
    return (
        Participant.objects.filter(pk=participant_id)
        .order_by()  # one row: no join to the sites for the default ordering
        .annotate(
            f_randomized_at=Subquery(randomized.values("randomized_at")[:1]),
            f_death_date=Subquery(death.values("death_date")[:1]),
            f_death_at=Subquery(death.values("death_at")[:1]),
            f_stay_numbers=ArraySubquery(stays.values("stay_number")),
            f_stays_admitted=ArraySubquery(stays.values("admitted_at")),
            f_stays_discharged=ArraySubquery(stays.values("discharged_at")),
            f_weight_kg=Subquery(baseline.values("weight_kg")[:1]),
            f_sex=Subquery(baseline.values("sex")[:1]),
        )
        .values_list(
            "f_randomized_at",
            "f_death_date",
            "f_death_at",
            "f_stay_numbers",
            "f_stays_admitted",
            "f_stays_discharged",
            "f_weight_kg",
            "f_sex",
        )
    )


@functools.cache
def _compiled_facts() -> CompiledQuery:
    # Every CRF save reads the facts: one SELECT, compiled once per process (ADR 0045).
    return compile_query(facts_query(PLACEHOLDER))


def participant_facts(participant: Any, *, now: datetime | None = None) -> ParticipantFacts:
    now = now or timezone.now()
    found = _compiled_facts().rows(participant.pk)
    if not found:
        raise ValueError(f"no participant {participant.pk}")
    t_r, death_date, death_at, numbers, admitted, discharged, weight_kg, sex = found[0]
    return ParticipantFacts(
        randomized_at=t_r,
        d0=d0_from_randomized_at(t_r) if t_r else None,
        now=now,
        today=paris_date(now),
        death_date=death_date,
        death_at=death_at,
        icu_stays=tuple(zip(numbers, admitted, discharged, strict=True)),
        weight_kg=weight_kg,
        sex=sex or "",
        participant_id=participant.pk,
    )
