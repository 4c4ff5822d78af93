"""One save function per CRF form (CONVENTIONS.md: a service per protocol action)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.access import has_capability
from accounts.roles import Capability
from audit.context import change_reason
from audit.services import record
from crf.definitions import CrfDefinition, by_model
from crf.models import (
    AdverseEvent,
    Baseline,
    ConcomitantMedication,
    CrfStatus,
    D10Biology,
    DailyFollowUp,
    EndOfStudy,
    FollowUp,
    HospitalDischarge,
    IcuStay,
    InfectionMicroorganism,
    ProtocolDeviation,
    SecondaryInfection,
    StudyDrugAdministration,
)
from crf.rules import infection
from crf.rules.common import Finding, hard, soft
from crf.services.core import CrfRefused, SaveResult, save_form
from crf.services.events import after_sae_follow_up, after_sae_saved, record_death_from
from participants.models import Participant
from participants.services import change_participant_status

if TYPE_CHECKING:
    from accounts.types import User

# The SAE items whose change vigilance must hear about (a follow-up report).
SAE_FOLLOW_UP_FIELDS = (
    "serious",
    *AdverseEvent.SERIOUSNESS_FIELDS,
    "outcome",
    "end_date",
    "ongoing",
)


def _save(
    model: type,
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: Any,
    expected_version: int | None,
    reason: str,
    fixed: Mapping[str, Any] | None = None,
    extra_findings: Any = None,
    also_changed: bool = False,
) -> SaveResult:
    return save_form(
        by_model(model),
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
        fixed=fixed or {},
        extra_findings=extra_findings,
        also_changed=also_changed,
    )


def _require_randomized(participant: Participant) -> None:
    from randomization.selectors import randomized_at

    if randomized_at(participant) is None:
        raise CrfRefused([hard("__all__", "The participant is not randomised.")])


@transaction.atomic
def save_baseline(
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: Baseline | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    return _save(
        Baseline,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
    )


@transaction.atomic
def save_injection(
    participant: Participant,
    *,
    number: int,
    by: User,
    data: Mapping[str, Any],
    instance: StudyDrugAdministration | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    _require_randomized(participant)
    if not 1 <= number <= 5:
        raise CrfRefused(
            [hard("number", "The injection number must be between 1 and %(max)d.", max=5)]
        )
    return _save(
        StudyDrugAdministration,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
        fixed={"number": number},
    )


@transaction.atomic
def save_daily(
    participant: Participant,
    *,
    day_date: date,
    by: User,
    data: Mapping[str, Any],
    instance: DailyFollowUp | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    _require_randomized(participant)
    return _save(
        DailyFollowUp,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
        fixed={"day_date": day_date},
    )


@transaction.atomic
def save_d10_biology(
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: D10Biology | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    # randomization.md: day-10 results are entered by data management only.
    if not has_capability(by, Capability.ENTER_D10_BIOLOGY, participant.site_id):
        raise PermissionDenied
    _require_randomized(participant)
    return _save(
        D10Biology,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
    )


@transaction.atomic
def save_icu_stay(
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: IcuStay | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    """An ICU stay: admission (a readmission reopens the daily forms) and its discharge."""
    _require_randomized(participant)
    if instance is None:
        last = (
            IcuStay.objects.filter(participant=participant).aggregate(m=Max("stay_number"))["m"]
            or 0
        )
        fixed = {"stay_number": last + 1}
    else:
        fixed = {"stay_number": instance.stay_number}
    result = _save(
        IcuStay,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
        fixed=fixed,
    )
    stay = result.obj
    if not result.unchanged and stay.vital_status == "DEAD" and stay.death_at:
        record_death_from(
            participant,
            by=by,
            source="icu_stay",
            death_at=stay.death_at,
            cause=stay.death_cause,
            cause_other=stay.death_cause_other,
            after_lst_withdrawal=stay.death_after_lst_withdrawal,
            reason=reason,
        )
    return result


@transaction.atomic
def record_icu_discharge(
    stay: IcuStay,
    *,
    by: User,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    """The ICU discharge form of a stay (§2.11): discharge date/time, vital status, death."""
    return save_icu_stay(
        stay.participant,
        by=by,
        data=data,
        instance=stay,
        expected_version=expected_version,
        reason=reason or ("ICU discharge" if stay.discharged_at is None else ""),
    )


@transaction.atomic
def save_hospital_discharge(
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: HospitalDischarge | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    _require_randomized(participant)
    return _save(
        HospitalDischarge,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
    )


@transaction.atomic
def save_infection(
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    microorganisms: Sequence[Mapping[str, Any]] | None = None,
    instance: SecondaryInfection | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    """An episode and its microorganisms (1–3; a row with `entered_in_error` voids one)."""
    _require_randomized(participant)
    for position, organism in enumerate(microorganisms or [], start=1):
        errors = infection.check_microorganism(organism)
        if errors:
            raise CrfRefused(
                [hard(f"organism_{position}_{f.field}", f.msgid, **f.params) for f in errors]
            )
    if instance is None:
        last = (
            SecondaryInfection.objects.filter(participant=participant).aggregate(
                m=Max("episode_number")
            )["m"]
            or 0
        )
        fixed = {"episode_number": last + 1}
    else:
        fixed = {"episode_number": instance.episode_number}
    organisms_changed = (
        microorganisms is not None
        and instance is not None
        and _microorganisms_differ(instance, microorganisms)
    )
    result = _save(
        SecondaryInfection,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
        fixed=fixed,
        also_changed=organisms_changed,
    )
    if microorganisms is not None and not result.unchanged:
        # Same reason, same transaction and same lock as the episode they belong to.
        with change_reason(reason):
            changed = _save_microorganisms(result.obj, microorganisms)
        if changed:
            record(
                "crf.infectionmicroorganism.update",
                target=result.obj,
                by=by,
                reason=reason,
                data={"positions": changed},
            )
    return result


MICROORGANISM_FIELDS = (
    "organism",
    "mrsa",
    "vre",
    "c3g_resistant",
    "esbl",
    "carbapenem_resistant",
    "carbapenemase",
    "carbapenemase_type",
    "entered_in_error",
)


def _microorganisms_differ(episode: SecondaryInfection, rows: Sequence[Mapping[str, Any]]) -> bool:
    existing = {m.position: m for m in episode.microorganisms.all()}
    for position, row in enumerate(rows, start=1):
        current = existing.get(position)
        if current is None:
            if row.get("organism") or position > 3:
                return True
            continue
        if any(
            name in row and getattr(current, name) != row[name] for name in MICROORGANISM_FIELDS
        ):
            return True
    return False


def _save_microorganisms(
    episode: SecondaryInfection, rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Write the child rows of the episode; the positions written (none when unchanged)."""
    existing = {m.position: m for m in episode.microorganisms.all()}
    written: list[int] = []
    for position, row in enumerate(rows, start=1):
        if position > 3:
            raise CrfRefused([hard("microorganisms", "At most 3 microorganisms per episode.")])
        current = existing.get(position)
        if current is None:
            if not row.get("organism"):
                continue
            current = InfectionMicroorganism(infection=episode, position=position)
        before = [getattr(current, name) for name in MICROORGANISM_FIELDS]
        for name in MICROORGANISM_FIELDS:
            if name in row and getattr(current, name) != row[name]:
                setattr(current, name, row[name])
        if current.pk is None or before != [getattr(current, n) for n in MICROORGANISM_FIELDS]:
            current.save()
            written.append(position)
    return written


@transaction.atomic
def save_adverse_event(
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: AdverseEvent | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    """An AE; the first save as serious starts the 24-hour SAE clock and e-mails vigilance."""
    _require_randomized(participant)
    if instance is None:
        last = (
            AdverseEvent.objects.filter(participant=participant).aggregate(m=Max("ae_number"))["m"]
            or 0
        )
        fixed: dict[str, Any] = {"ae_number": last + 1}
    else:
        fixed = {"ae_number": instance.ae_number}
    newly_serious = bool(data.get("serious")) and (instance is None or not instance.sae_recorded_at)
    # A change to an SAE already reported is a follow-up report to vigilance.
    before = (
        {name: getattr(instance, name) for name in SAE_FOLLOW_UP_FIELDS}
        if instance is not None and instance.sae_recorded_at
        else None
    )
    if newly_serious:
        fixed["sae_recorded_at"] = timezone.now()

    def late(values: dict[str, Any], facts: Any, obj: AdverseEvent) -> list[Finding]:
        if obj.serious and obj.reported_late:
            return [
                soft(
                    "awareness_date",
                    "SAE entered more than 24 h after the investigator became aware.",
                )
            ]
        return []

    result = _save(
        AdverseEvent,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
        fixed=fixed,
        extra_findings=late,
    )
    if result.unchanged:
        return result
    if newly_serious:
        after_sae_saved(result.obj, by=by)
    elif before is not None:
        changed = [n for n in SAE_FOLLOW_UP_FIELDS if getattr(result.obj, n) != before[n]]
        if changed:
            after_sae_follow_up(result.obj, by=by, changed=changed, reason=reason)
    return result


@transaction.atomic
def save_concomitant_medication(
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: ConcomitantMedication | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    return _save(
        ConcomitantMedication,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
    )


@transaction.atomic
def save_follow_up(
    participant: Participant,
    *,
    visit: str,
    by: User,
    data: Mapping[str, Any],
    instance: FollowUp | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    _require_randomized(participant)
    if visit not in by_model(FollowUp).schedule_codes:  # FU_D30, FU_D60, FU_D90
        raise CrfRefused([hard("visit", "Unknown follow-up visit.")])
    result = _save(
        FollowUp,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
        fixed={"visit": visit},
    )
    fu = result.obj
    if not result.unchanged and fu.vital_status == "DEAD" and fu.death_date:
        record_death_from(
            participant,
            by=by,
            source=f"follow_up_{visit}",
            death_date=fu.death_date,
            cause=fu.death_cause,
            cause_other=fu.death_cause_other,
            reason=reason,
        )
    return result


@transaction.atomic
def save_protocol_deviation(
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: ProtocolDeviation | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    return _save(
        ProtocolDeviation,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
    )


# End-of-study status → participant status (withdrawal keeps every row already saved).
END_TO_PARTICIPANT_STATUS = {
    "COMPLETED": Participant.Status.COMPLETED,
    "DEATH": Participant.Status.DIED,
    "LOST_TO_FOLLOW_UP": Participant.Status.LOST,
}


@transaction.atomic
def save_end_of_study(
    participant: Participant,
    *,
    by: User,
    data: Mapping[str, Any],
    instance: EndOfStudy | None = None,
    expected_version: int | None = None,
    reason: str = "",
) -> SaveResult:
    _require_randomized(participant)
    result = _save(
        EndOfStudy,
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
    )
    eos = result.obj
    if not result.unchanged and eos.status == CrfStatus.COMPLETE:
        status = END_TO_PARTICIPANT_STATUS.get(eos.end_status, Participant.Status.WITHDRAWN)
        change_participant_status(
            participant, status=status, by=by, reason=reason or f"end of study: {eos.end_status}"
        )
    return result


def save_for(
    definition: CrfDefinition,
    participant: Participant,
    *,
    by: Any,
    data: Mapping[str, Any],
    instance: Any = None,
    expected_version: int | None = None,
    reason: str = "",
    fixed_value: Any = None,
    **extra: Any,
) -> SaveResult:
    """Save a form through its own service, the one its definition names (its page, a
    query's correction). `fixed_value`: the value of the definition's `fixed` key (number, visit,
    day); `extra`: what that service takes besides (an episode's microorganisms)."""
    service: Callable[..., SaveResult] | None = (
        globals().get(definition.save) if definition.save.startswith("save_") else None
    )
    if service is None:
        raise ValueError(f"{definition.slug}: no save service")
    if definition.fixed:
        extra[definition.fixed] = fixed_value
    return service(
        participant,
        by=by,
        data=data,
        instance=instance,
        expected_version=expected_version,
        reason=reason,
        **extra,
    )
