"""The other rows a form's cross-row rules read (`FormRules.context`): each function
returns the keyword arguments of its form's `check`, for the row being saved (`instance`
None when created) and the keys the service fixed (number, stay, visit…)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import Max

from crf.models import DailyFollowUp, IcuStay, SecondaryInfection, StudyDrugAdministration
from eligibility.models import Consent
from platinium.lib.compiled import PLACEHOLDER, SECOND_PLACEHOLDER, CompiledQuery, compile_query
from platinium.lib.study_time import paris_date


def others_query(model: Any, participant_id: Any, exclude_pk: Any) -> Any:
    """The participant's other current rows of `model` (all of them: `exclude_pk` 0)."""
    return model.objects.current().filter(participant_id=participant_id).exclude(pk=exclude_pk)


def first_injection_and_consent_query(participant_id: Any) -> Any:
    """One row: the first injection given (its time) and the consent time, as
    `.first()` reads them (the consent: lowest id)."""
    from django.db.models import OuterRef, Subquery

    from participants.models import Participant

    given = (
        StudyDrugAdministration.objects.current()
        .filter(participant=OuterRef("pk"), given=True, given_at__isnull=False)
        .order_by("given_at")
    )
    consent = Consent.objects.filter(screening__participant=OuterRef("pk")).order_by("pk")
    return (
        Participant.objects.filter(pk=participant_id)
        .order_by()
        .annotate(
            c_first_given=Subquery(given.values("given_at")[:1]),
            c_consented_at=Subquery(consent.values("consented_at")[:1]),
        )
        .values_list("c_first_given", "c_consented_at")
    )


@functools.cache
def _compiled() -> dict[str, CompiledQuery]:
    # Read on every injection, infection and adverse event save: compiled once per
    # process and prepared (ADR 0045).
    def others(model: Any) -> CompiledQuery:
        return compile_query(
            others_query(model, PLACEHOLDER, SECOND_PLACEHOLDER),
            expected=2,
            placeholders=(PLACEHOLDER, SECOND_PLACEHOLDER),
        )

    return {
        "injections": others(StudyDrugAdministration),
        "infections": others(SecondaryInfection),
        "first_injection_and_consent": compile_query(
            first_injection_and_consent_query(PLACEHOLDER)
        ),
    }


def _others(name: str, participant: Any, instance: Any) -> list[Any]:
    # Ids are positive: excluding id 0 excludes nothing, as the ORM's exclude(pk=None).
    return _compiled()[name].instances(participant.pk, getattr(instance, "pk", None) or 0)


def other_injections(participant: Any, instance: Any, fixed: Mapping[str, Any]) -> dict[str, Any]:
    return {"others": _others("injections", participant, instance)}


def other_infections(participant: Any, instance: Any, fixed: Mapping[str, Any]) -> dict[str, Any]:
    return {"others": _others("infections", participant, instance)}


def last_injection(participant: Any, instance: Any, fixed: Mapping[str, Any]) -> dict[str, Any]:
    last = (
        StudyDrugAdministration.objects.current()
        .filter(participant=participant, given=True)
        .aggregate(m=Max("given_at"))["m"]
    )
    return {"last_injection_at": last}


def first_injection_and_consent(
    participant: Any, instance: Any, fixed: Mapping[str, Any]
) -> dict[str, Any]:
    found = _compiled()["first_injection_and_consent"].rows(participant.pk)
    first_given, consented_at = found[0] if found else (None, None)
    return {
        "first_injection_date": paris_date(first_given) if first_given else None,
        "consent_date": paris_date(consented_at) if consented_at else None,
    }


def last_daily_of_stay(participant: Any, instance: Any, fixed: Mapping[str, Any]) -> dict[str, Any]:
    stay_number = fixed.get("stay_number") or getattr(instance, "stay_number", None) or 1
    return {"last_daily_date": _last_daily_date(participant, stay_number)}


def _last_daily_date(participant: Any, stay_number: int) -> date | None:
    """The last daily form on or after this stay's admission (before the next stay)."""
    stays = list(
        IcuStay.objects.current()
        .filter(participant=participant)
        .order_by("stay_number")
        .values_list("stay_number", "admitted_at")
    )
    admitted = next((a for n, a in stays if n == stay_number), None)
    following = next((a for n, a in stays if n > stay_number), None)
    qs = DailyFollowUp.objects.current().filter(participant=participant)
    if admitted is not None:
        qs = qs.filter(day_date__gte=paris_date(admitted))
    if following is not None:
        qs = qs.filter(day_date__lt=paris_date(following))
    return qs.aggregate(m=Max("day_date"))["m"]
