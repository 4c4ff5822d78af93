"""Derived outcomes of one participant: loads the CRF rows, calls crf.outcomes (pure).

Nothing here is stored; every value is rebuilt from the current (not entered-in-error)
rows, so a correction anywhere changes the outcome the next time it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from crf import outcomes
from crf.injections import Injection
from crf.models import (
    D10Biology,
    DailyFollowUp,
    Death,
    EndOfStudy,
    FollowUp,
    HospitalDischarge,
    IcuStay,
    SecondaryInfection,
    StudyDrugAdministration,
)
from platinium.lib.study_time import d0_from_randomized_at, paris_date, study_day


@dataclass(frozen=True)
class DerivedOutcomes:
    icu_los: outcomes.LengthOfStay | None
    hospital_los: outcomes.HospitalLengthOfStay | None
    icu_mortality: bool | None
    d90_mortality: bool | None
    infections_by_d90: int
    ventilator_free_days_d28: int | None
    ventilator_free_days_d90: int | None
    icu_free_days_d28: int | None
    icu_free_days_d90: int | None
    immune_restoration: outcomes.ImmuneRestoration
    exposure: outcomes.StudyDrugExposure
    resource_use: outcomes.ResourceDays


def _last_known_alive(participant: Any) -> date | None:
    dates = [
        *FollowUp.objects.current()
        .filter(participant=participant)
        .values_list("last_known_alive_date", flat=True),
        *EndOfStudy.objects.current()
        .filter(participant=participant)
        .values_list("last_known_alive_date", flat=True),
        *DailyFollowUp.objects.current()
        .filter(participant=participant)
        .values_list("day_date", flat=True),
    ]
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def derived_outcomes(participant: Any, randomized_at: datetime) -> DerivedOutcomes:
    d0 = d0_from_randomized_at(randomized_at)
    stays = [
        outcomes.IcuStayTimes(admitted, discharged)
        for admitted, discharged in IcuStay.objects.current()
        .filter(participant=participant)
        .order_by("stay_number")
        .values_list("admitted_at", "discharged_at")
    ]
    death = Death.objects.current().filter(participant=participant).first()
    death_date = death.death_date if death else None
    death_at = death.death_at if death else None
    alive = _last_known_alive(participant)
    survival = outcomes.Survival(
        death_day=study_day(d0, death_date) if death_date else None,
        last_known_alive_day=study_day(d0, alive) if alive else None,
    )
    daily = list(
        DailyFollowUp.objects.current()
        .filter(participant=participant)
        .values_list("study_day", "imv", "rrt", "vasopressor", "antimicrobial")
    )
    mv_days = {day for day, imv, *_ in daily if imv}
    icu_days = outcomes.icu_study_days(
        d0,
        [
            (
                paris_date(s.admitted_at),
                paris_date(s.discharged_at) if s.discharged_at else None,
            )
            for s in stays
        ],
        until_day=90,
    )
    hospital = HospitalDischarge.objects.current().filter(participant=participant).first()
    onsets = [
        outcomes_onset(episode)
        for episode in SecondaryInfection.objects.current().filter(participant=participant)
        if episode.onset_date is not None
    ]
    biology = (
        D10Biology.objects.current().filter(participant=participant, sample_taken=True).first()
    )
    injections = [
        Injection(
            number=row.number,
            given=bool(row.given),
            given_at=row.given_at,
            kit_code=row.kit_code or None,
            volume_ml=row.volume_ml,
        )
        for row in StudyDrugAdministration.objects.current().filter(participant=participant)
    ]
    return DerivedOutcomes(
        icu_los=outcomes.icu_length_of_stay(stays, randomized_at) if stays else None,
        hospital_los=outcomes.hospital_length_of_stay(
            hospital.admission_date, hospital.discharge_date, d0
        )
        if hospital and hospital.admission_date
        else None,
        icu_mortality=outcomes.icu_mortality(stays, death_at or _death_moment(death_date, stays))
        if stays
        else None,
        d90_mortality=outcomes.d90_mortality(d0, death_date=death_date, last_known_alive=alive),
        infections_by_d90=outcomes.secondary_infection_count(onsets, randomized_at),
        ventilator_free_days_d28=outcomes.ventilator_free_days(mv_days, 28, survival),
        ventilator_free_days_d90=outcomes.ventilator_free_days(mv_days, 90, survival),
        icu_free_days_d28=outcomes.icu_free_days(icu_days, 28, survival),
        icu_free_days_d90=outcomes.icu_free_days(icu_days, 90, survival),
        immune_restoration=outcomes.immune_restoration_d10(
            biology.mhla_dr_abc if biology else None,
            biology.lymphocytes_g_l if biology else None,
        ),
        exposure=outcomes.study_drug_exposure(injections),
        resource_use=outcomes.resource_days(daily),
    )


def _death_moment(death_date: date | None, stays: list[outcomes.IcuStayTimes]) -> Any:
    """A death known by date only: noon of that day (Paris) stands for the moment."""
    if death_date is None:
        return None
    from platinium.lib.study_time import STUDY_TIME_ZONE

    return datetime.combine(
        death_date, datetime.min.time().replace(hour=12), tzinfo=STUDY_TIME_ZONE
    )


def outcomes_onset(episode: SecondaryInfection) -> date | datetime:
    if episode.onset_time is None:
        return episode.onset_date
    from platinium.lib.study_time import STUDY_TIME_ZONE

    return datetime.combine(episode.onset_date, episode.onset_time, tzinfo=STUDY_TIME_ZONE)
