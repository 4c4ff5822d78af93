"""The other rows a form's cross-row rules read (`FormRules.context`): each function
returns the keyword arguments of its form's `check`, for the row being saved (`instance`
None when created) and the keys the service fixed (number, stay, visit…)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db.models import Max

from crf.models import DailyFollowUp, IcuStay, SecondaryInfection, StudyDrugAdministration
from eligibility.models import Consent
from platinium.lib.study_time import paris_date


def other_injections(participant: Any, instance: Any, fixed: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "others": list(
            StudyDrugAdministration.objects.current()
            .filter(participant=participant)
            .exclude(pk=getattr(instance, "pk", None))
        )
    }


def other_infections(participant: Any, instance: Any, fixed: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "others": list(
            SecondaryInfection.objects.current()
            .filter(participant=participant)
            .exclude(pk=getattr(instance, "pk", None))
        )
    }


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
    first_given = (
        StudyDrugAdministration.objects.current()
        .filter(participant=participant, given=True, given_at__isnull=False)
        .order_by("given_at")
        .values_list("given_at", flat=True)
        .first()
    )
    consented_at = (
        Consent.objects.filter(screening__participant=participant)
        .values_list("consented_at", flat=True)
        .first()
    )
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
