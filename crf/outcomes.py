"""Derived outcomes of the case report forms (crf-spec.md §2.7, 2.8, 2.11–2.14).

Pure functions over small dataclasses; the CRF layer recomputes them when an input
changes and stores nothing it cannot rebuild. Thresholds and conventions first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from crf.injections import Injection
from crf.schedule import LAST_STUDY_DAY
from platinium.lib.study_time import d0_from_randomized_at, paris_date, study_day

# [INF] Day-10 immune restoration, mirror of inclusion criterion I4 (crf-spec.md §2.7).
MHLA_DR_RESTORED_MIN_ABC = 8000  # mHLA-DR ≥ 8000 AB/C
LYMPHOCYTES_RESTORED_MIN_G_PER_L = Decimal("1.0")  # ≥ 1.0 G/L = 1000 /mm³

# Primary endpoint horizon: onset after T_R and on or before D90 (crf-spec.md §2.8).
INFECTION_HORIZON_DAY = LAST_STUDY_DAY
MORTALITY_HORIZON_DAY = LAST_STUDY_DAY

# Free-days horizons [INF]: days D1..D28 and D1..D90 (D0, the randomisation day, excluded).
FREE_DAYS_HORIZONS = (28, 90)
# Convention: death on or before the horizon day gives 0 free days (Schoenfeld 2002);
# a survivor scores the number of days of D1..horizon without the support.
FREE_DAYS_FIRST_DAY = 1

# Lengths of stay in days with one decimal, from datetimes (crf-spec.md §2.11).
LOS_QUANTUM = Decimal("0.1")
SECONDS_PER_DAY = Decimal(86400)


def _days(delta: timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / SECONDS_PER_DAY).quantize(
        LOS_QUANTUM, rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True)
class IcuStayTimes:
    admitted_at: datetime  # aware
    discharged_at: datetime | None = None  # None while still in the ICU


@dataclass(frozen=True)
class LengthOfStay:
    total_days: Decimal  # sum of (discharge − admission), 1 decimal
    after_randomization_days: Decimal  # the part after T_R
    calendar_days: int  # Paris dates with any ICU presence, admission and discharge days in
    calendar_days_after_randomization: int  # the same, from the randomisation date


def icu_length_of_stay(
    stays: Sequence[IcuStayTimes], randomized_at: datetime, *, until: datetime | None = None
) -> LengthOfStay | None:
    """ICU LOS over the given stays (index + readmissions), optionally censored at ``until``.

    ``until`` clips every stay (e.g. the end of D90 for the resource-use summary) and
    closes a stay still open; without it an open stay makes the LOS unknown (None).
    """
    total = timedelta()
    after = timedelta()
    dates: set[date] = set()
    randomisation_date = paris_date(randomized_at)
    for stay in stays:
        end = stay.discharged_at
        if until is not None:
            end = until if end is None else min(end, until)
        if end is None:
            return None
        if end <= stay.admitted_at:
            continue
        total += end - stay.admitted_at
        after += max(timedelta(), end - max(stay.admitted_at, randomized_at))
        current, last = paris_date(stay.admitted_at), paris_date(end)
        while current <= last:
            dates.add(current)
            current += timedelta(days=1)
    return LengthOfStay(
        total_days=_days(total),
        after_randomization_days=_days(after),
        calendar_days=len(dates),
        calendar_days_after_randomization=sum(1 for day in dates if day >= randomisation_date),
    )


@dataclass(frozen=True)
class HospitalLengthOfStay:
    total_days: int  # discharge date − admission date (midnights spent)
    after_randomization_days: int  # discharge date − D0


def hospital_length_of_stay(
    admitted: date, discharged: date | None, d0: date
) -> HospitalLengthOfStay | None:
    """Hospital LOS in days from dates (crf-spec.md §2.12); None while still in hospital."""
    if discharged is None:
        return None
    return HospitalLengthOfStay(
        total_days=(discharged - admitted).days,
        after_randomization_days=study_day(d0, discharged),
    )


def icu_mortality(stays: Sequence[IcuStayTimes], death_at: datetime | None) -> bool | None:
    """Death during any ICU stay, bounds included (death datetime = ICU discharge datetime).

    None while a stay is open and no death is recorded: the outcome is not known yet.
    """
    if death_at is not None:
        return any(
            stay.admitted_at <= death_at
            and (stay.discharged_at is None or death_at <= stay.discharged_at)
            for stay in stays
        )
    if any(stay.discharged_at is None for stay in stays):
        return None
    return False


class VitalStatus(StrEnum):
    ALIVE = "ALIVE"
    DEAD = "DEAD"
    UNKNOWN = "UNKNOWN"


def vital_status_at(
    d0: date, day: int, *, death_date: date | None, last_known_alive: date | None
) -> VitalStatus:
    """Vital status at Dn: alive only if known alive on or after Dn (crf-spec.md §1, §2.13)."""
    horizon = d0 + timedelta(days=day)
    if death_date is not None and death_date <= horizon:
        return VitalStatus.DEAD
    known_alive = [d for d in (last_known_alive, death_date) if d is not None]
    # A death after Dn proves the participant was alive on Dn.
    if known_alive and max(known_alive) >= horizon:
        return VitalStatus.ALIVE
    return VitalStatus.UNKNOWN


def d90_mortality(
    d0: date, *, death_date: date | None, last_known_alive: date | None
) -> bool | None:
    """Death on or before D90: True, False, or None when the status at D90 is unknown."""
    status = vital_status_at(
        d0, MORTALITY_HORIZON_DAY, death_date=death_date, last_known_alive=last_known_alive
    )
    if status is VitalStatus.UNKNOWN:
        return None
    return status is VitalStatus.DEAD


def counts_for_primary_endpoint(onset: date | datetime, randomized_at: datetime) -> bool:
    """Onset after T_R and on or before D90 (crf-spec.md §2.8 counting rules).

    The onset time is optional on the form. A date-only onset on D0 cannot be shown to
    follow T_R, so it does not count (the form should ask for the time on D0).
    """
    if isinstance(onset, datetime):
        if onset <= randomized_at:
            return False
        onset_date = paris_date(onset)
    else:
        if onset <= paris_date(randomized_at):
            return False
        onset_date = onset
    d0 = d0_from_randomized_at(randomized_at)
    return study_day(d0, onset_date) <= INFECTION_HORIZON_DAY


def secondary_infection_count(onsets: Iterable[date | datetime], randomized_at: datetime) -> int:
    """Number of secondary infection episodes by D90 (primary endpoint, raw episodes).

    Pass the episodes the analysis retains (e.g. adjudicated as confirmed); how
    recurrences count is the statistical analysis plan's decision.
    """
    return sum(1 for onset in onsets if counts_for_primary_endpoint(onset, randomized_at))


@dataclass(frozen=True)
class Survival:
    """Vital follow-up in study days."""

    death_day: int | None = None
    last_known_alive_day: int | None = None


def free_days(support_days: Iterable[int], horizon: int, survival: Survival) -> int | None:
    """Days alive and free of a support (invasive MV, ICU) over D1..``horizon``.

    Death on or before the horizon gives 0. None when neither death nor survival to the
    horizon is known. ``support_days`` are the study days with the support at any time.
    """
    if survival.death_day is not None and survival.death_day <= horizon:
        return 0
    known = [d for d in (survival.death_day, survival.last_known_alive_day) if d is not None]
    if not known or max(known) < horizon:
        return None
    used = {day for day in support_days if FREE_DAYS_FIRST_DAY <= day <= horizon}
    return horizon - FREE_DAYS_FIRST_DAY + 1 - len(used)


def ventilator_free_days(mv_days: Iterable[int], horizon: int, survival: Survival) -> int | None:
    """Days alive and free of invasive mechanical ventilation, D1..horizon (28 or 90)."""
    return free_days(mv_days, horizon, survival)


def icu_free_days(icu_days: Iterable[int], horizon: int, survival: Survival) -> int | None:
    """Days alive and out of the ICU, D1..horizon; a day with any ICU presence counts."""
    return free_days(icu_days, horizon, survival)


def icu_study_days(d0: date, stays: Iterable[tuple[date, date | None]], until_day: int) -> set[int]:
    """Study days with any ICU presence (admission and discharge days included)."""
    days: set[int] = set()
    for admitted, discharged in stays:
        first = study_day(d0, admitted)
        last = until_day if discharged is None else min(study_day(d0, discharged), until_day)
        days.update(range(first, last + 1))
    return days


@dataclass(frozen=True)
class ImmuneRestoration:
    mhla_dr: bool | None  # mHLA-DR ≥ 8000 AB/C
    lymphocytes: bool | None  # lymphocytes ≥ 1.0 G/L
    restored: bool | None  # both


def immune_restoration_d10(
    mhla_dr_abc: int | Decimal | None, lymphocytes_g_per_l: Decimal | None
) -> ImmuneRestoration:
    """Biological immune restoration at D10 and its two components (crf-spec.md §2.7).

    Three-valued AND: one component below its threshold settles "not restored" even
    if the other is missing; otherwise a missing component gives None.
    """
    mhla = None if mhla_dr_abc is None else mhla_dr_abc >= MHLA_DR_RESTORED_MIN_ABC
    lymph = (
        None
        if lymphocytes_g_per_l is None
        else lymphocytes_g_per_l >= LYMPHOCYTES_RESTORED_MIN_G_PER_L
    )
    if mhla is False or lymph is False:
        restored: bool | None = False
    elif mhla is None or lymph is None:
        restored = None
    else:
        restored = True
    return ImmuneRestoration(mhla_dr=mhla, lymphocytes=lymph, restored=restored)


@dataclass(frozen=True)
class StudyDrugExposure:
    injections_given: int  # 0–5
    kits_used: int  # distinct kit codes of given injections (resource use, §2.14)


def study_drug_exposure(injections: Sequence[Injection]) -> StudyDrugExposure:
    given = [injection for injection in injections if injection.given]
    return StudyDrugExposure(
        injections_given=len(given),
        kits_used=len({injection.kit_code for injection in given if injection.kit_code}),
    )


@dataclass(frozen=True)
class ResourceDays:
    """Resource use from the daily forms (crf-spec.md §2.14), D0..D90."""

    imv_days: int
    rrt_days: int
    vasopressor_days: int
    antibiotic_days: int  # days with ≥ 1 antimicrobial (the daily form's flag)


def resource_days(daily: Iterable[tuple[int | None, bool, bool, bool, bool]]) -> ResourceDays:
    """Count study days from (study_day, imv, rrt, vasopressor, antimicrobial) of each
    current daily form; one form per day, so a day counts once per support."""
    days: dict[str, set[int]] = {"imv": set(), "rrt": set(), "vaso": set(), "atb": set()}
    for day, imv, rrt, vasopressor, antimicrobial in daily:
        if day is None or not 0 <= day <= LAST_STUDY_DAY:
            continue
        for key, used in (
            ("imv", imv),
            ("rrt", rrt),
            ("vaso", vasopressor),
            ("atb", antimicrobial),
        ):
            if used:
                days[key].add(day)
    return ResourceDays(
        imv_days=len(days["imv"]),
        rrt_days=len(days["rrt"]),
        vasopressor_days=len(days["vaso"]),
        antibiotic_days=len(days["atb"]),
    )
