"""The participant facts that cross-form rules need, read once per save."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.utils import timezone

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


def participant_facts(participant: Any, *, now: datetime | None = None) -> ParticipantFacts:
    from crf.models import Baseline, Death, IcuStay
    from randomization.selectors import randomized_at

    now = now or timezone.now()
    t_r = randomized_at(participant)
    death_date, death_at = (
        Death.objects.current()
        .filter(participant=participant)
        .values_list("death_date", "death_at")
        .first()
    ) or (None, None)
    stays = tuple(
        IcuStay.objects.current()
        .filter(participant=participant)
        .order_by("stay_number")
        .values_list("stay_number", "admitted_at", "discharged_at")
    )
    baseline = (
        Baseline.objects.current()
        .filter(participant=participant)
        .values("weight_kg", "sex")
        .first()
        or {}
    )
    return ParticipantFacts(
        randomized_at=t_r,
        d0=d0_from_randomized_at(t_r) if t_r else None,
        now=now,
        today=paris_date(now),
        death_date=death_date,
        death_at=death_at,
        icu_stays=stays,
        weight_kg=baseline.get("weight_kg"),
        sex=baseline.get("sex") or "",
        participant_id=participant.pk,
    )
