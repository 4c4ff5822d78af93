"""The daily ICU follow-up grid: one row per ICU day, one form (and version) per row.

Rows come from crf.schedule.expected_forms; every row saves alone through
crf.services.save_daily (rules, audit, optimistic lock), so a day never waits for another.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from accounts.roles import Capability as C
from audit.versioning import StaleVersion
from crf import services, sofa
from crf.access import can_enter, get_participant_for_user, require_enter
from crf.facts import participant_facts
from crf.forms import FORMS
from crf.models import DailyFollowUp, EndOfStudy
from crf.rules.common import paris_date
from crf.rules.daily import GRID_FIELDS
from crf.schedule import ClinicalState, expected_forms
from participants.models import Participant


def icu_days(participant: Participant) -> list[date]:
    """The calendar days the schedule expects a daily form for (D0 → ICU discharge)."""
    facts = participant_facts(participant)
    if facts.d0 is None:
        return []
    stays = [(paris_date(a), paris_date(d) if d else None) for _n, a, d in facts.icu_stays]
    if not stays:
        # No ICU stay recorded yet: the participant is in the ICU from randomisation.
        stays = [(facts.d0, None)]
    end = (
        EndOfStudy.objects.current()
        .filter(participant=participant)
        .values_list("end_date", flat=True)
        .first()
    )
    state = ClinicalState(
        d0=facts.d0, icu_stays=stays, death_date=facts.death_date, end_of_study_date=end
    )
    return [f.target_date for f in expected_forms(state, facts.today) if f.code == "DAILY"]


def _row_form(day: date, instance: DailyFollowUp | None, data: Any = None) -> Any:
    form_class = FORMS[DailyFollowUp]
    target = instance or DailyFollowUp(day_date=day)
    form = form_class(data, instance=target, auto_id=f"id_{day.isoformat()}_%s")
    form_id = f"row-{day.isoformat()}"
    for field in form.fields.values():
        field.widget.attrs["form"] = form_id
        field.widget.attrs["class"] = "form-control form-control-sm"
    return form


def _rows(participant: Participant, bound: dict[date, Any] | None = None) -> list[dict]:
    existing = {
        row.day_date: row for row in DailyFollowUp.objects.current().filter(participant=participant)
    }
    days = sorted(set(icu_days(participant)) | set(existing))
    bound = bound or {}
    return [
        {
            "day": day,
            "id": f"row-{day.isoformat()}",
            "instance": existing.get(day),
            "form": bound.get(day) or _row_form(day, existing.get(day)),
        }
        for day in days
    ]


def _render(
    request: HttpRequest,
    participant: Participant,
    bound: dict | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    rows = _rows(participant, bound)
    return render(
        request,
        "crf/daily_grid.html",
        {
            "participant": participant,
            "rows": rows,
            "fields": GRID_FIELDS,
            "labels": [DailyFollowUp._meta.get_field(n).verbose_name for n in GRID_FIELDS],
            "can_enter": can_enter(request.user, participant) and participant.locked_at is None,
            "locked": participant.locked_at is not None,
            **(extra or {}),
        },
    )


@capability_required(C.VIEW_CLINICAL_DATA)
def daily_grid(request: HttpRequest, code: str) -> HttpResponse:
    return _render(request, get_participant_for_user(request.user, code))


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Http404 from None


@require_POST
@capability_required(C.VIEW_CLINICAL_DATA)
def daily_grid_row(request: HttpRequest, code: str, day: str) -> HttpResponse:
    """Save one day of the grid."""
    participant = get_participant_for_user(request.user, code)
    require_enter(request.user, participant)
    on = _day(day)
    instance = DailyFollowUp.objects.current().filter(participant=participant, day_date=on).first()
    # The form builds on a copy: the service compares against the stored row.
    form = _row_form(on, copy.copy(instance) if instance else None, request.POST)
    if participant.locked_at is not None:
        messages.error(request, gettext("This participant is locked: the forms are read-only."))
        return redirect("crf:daily_grid", code=code)
    if form.is_valid():
        try:
            result = services.save_daily(
                participant,
                day_date=on,
                by=request.user,
                data=form.model_data(),
                instance=instance,
                expected_version=form.cleaned_data.get("expected_version"),
                reason=form.cleaned_data.get("reason_for_change", "")
                or request.POST.get("reason_for_change", ""),
            )
        except services.CrfRefused as refused:
            for finding in refused.findings:
                form.add_error(
                    finding.field if finding.field in form.fields else None, finding.message
                )
        except StaleVersion as stale:
            who = stale.current.updated_by.username if stale.current.updated_by else "?"
            form.add_error(
                None,
                gettext("Changed by %(who)s since you opened it: reload the grid.") % {"who": who},
            )
        except services.ParticipantLocked as locked:
            form.add_error(None, str(locked))
        except Exception as error:  # ReasonRequired and a duplicate day: a message, not a 500
            from django.db import IntegrityError

            from audit.services import ReasonRequired

            if not isinstance(error, ReasonRequired | IntegrityError):
                raise
            form.add_error(
                None,
                gettext("Give a reason for this change.")
                if isinstance(error, ReasonRequired)
                else gettext("A form already exists for this day."),
            )
        else:
            label = f"D{result.obj.study_day}"
            messages.success(request, gettext("%(day)s saved.") % {"day": label})
            for finding in result.warnings:
                messages.warning(
                    request,
                    f"{label}: "
                    + gettext("Flagged for review: %(message)s") % {"message": finding.message},
                )
            return redirect("crf:daily_grid", code=code)
    return _render(request, participant, bound={on: form}, extra={"error_day": on})


@require_POST
@capability_required(C.VIEW_CLINICAL_DATA)
def daily_sofa(request: HttpRequest, code: str) -> HttpResponse:
    """Live SOFA of one grid row (htmx): computed from the posted inputs, nothing saved."""
    participant = get_participant_for_user(request.user, code)
    facts = participant_facts(participant)
    form = _row_form(date.today(), None, request.POST)
    form.is_valid()
    values = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}
    standard = sofa.standard_values(values, facts.weight_kg)
    score = sofa.compute({**values, **standard})
    return render(request, "crf/_sofa.html", {"score": score})
