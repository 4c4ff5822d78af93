"""The daily ICU follow-up grid: one row per ICU day, one form (and version) per row.

Rows come from crf.schedule.expected_forms; every row saves alone through
crf.services.save_daily (rules, audit, optimistic lock), so a day never waits for another.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from accounts.roles import Capability as C
from audit.services import ReasonRequired
from audit.versioning import StaleVersion
from crf import services, sofa
from crf.access import can_enter, get_participant_for_user, require_enter
from crf.definitions import by_model
from crf.forms import form_class
from crf.models import Baseline, DailyFollowUp
from crf.open_queries import open_queries_by_row
from crf.rules.daily import GRID_FIELDS
from crf.schedule import expected_forms
from crf.templatetags.study_days import study_day_label
from crf.timeline import clinical_state, load_course
from crf.views import integrity_message
from participants import locks
from participants.models import Participant
from platinium.lib.study_time import paris_date, paris_today

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest, User

# At most this many rows carry live inputs; the others show their values as text with an
# "Edit" link. Rendering ~50 widgets per row for a 30-day stay took a second; a window keeps
# the page fast whatever the length of the stay (bench: crf grid).
EDITABLE_ROWS = 4


def icu_days(participant: Participant, user: User) -> list[date]:
    """The calendar days the schedule expects a daily form for (D0 → ICU discharge)."""
    state = clinical_state(load_course(participant, user, kit_codes=False))
    if state is None:
        return []
    today = paris_date(timezone.now())
    return [f.target_date for f in expected_forms(state, today) if f.code == "DAILY"]


def _row_form(day: date, instance: DailyFollowUp | None, data: Any = None) -> Any:
    form_type = form_class(by_model(DailyFollowUp))
    target = instance or DailyFollowUp(day_date=day)
    form = form_type(data, instance=target, auto_id=f"id_{day.isoformat()}_%s")
    form_id = f"row-{day.isoformat()}"
    for field in form.fields.values():
        field.widget.attrs["form"] = form_id
        field.widget.attrs["class"] = "form-control form-control-sm"
    return form


def _cells(instance: DailyFollowUp | None, queries: dict[str, int] | None = None) -> str:
    """The <td> cells of a read-only row, built here rather than in the template: a
    30-day grid has ~1,500 of them and the template engine made them the page's cost."""
    cells = []
    for name in GRID_FIELDS:
        raw = getattr(instance, name, None) if instance is not None else None
        shown = raw
        if instance is not None and DailyFollowUp._meta.get_field(name).choices and raw:
            shown = getattr(instance, f"get_{name}_display")()
        elif raw is True:
            shown = gettext("Yes")
        elif raw is False:
            shown = gettext("No")
        count = (queries or {}).get(name, 0)
        # The count of unresolved queries on the field, next to its value.
        badge = (
            format_html(' <span class="status status-queried">? {}</span>', count) if count else ""
        )
        cells.append((name, _input_value(raw), "" if shown is None else shown, badge))
    return format_html_join("", '<td data-name="{}" data-value="{}">{}{}</td>', cells)


def _input_value(raw: Any) -> str:
    """A saved value as the row's input takes it back ("same as yesterday" copies it):
    Yes/No as the options of crf.forms.YesNoSelect, dates in ISO form."""
    if raw is True:
        return "true"
    if raw is False:
        return "false"
    if raw is None:
        return ""
    return raw.isoformat() if isinstance(raw, date) else str(raw)


def _editable_days(days: list[date], existing: dict, wanted: date | None) -> set[date]:
    """The requested day, then days still to enter (oldest first), then the latest days."""
    order = [d for d in days if d == wanted]
    order += [d for d in days if d not in existing]
    order += list(reversed(days))
    chosen: list[date] = []
    for day in order:
        if day not in chosen:
            chosen.append(day)
        if len(chosen) == EDITABLE_ROWS:
            break
    return set(chosen)


def _rows(
    participant: Participant,
    user: User,
    *,
    editable: bool,
    bound: dict[date, Any] | None = None,
    wanted: date | None = None,
) -> list[dict]:
    existing = {
        row.day_date: row for row in DailyFollowUp.objects.current().filter(participant=participant)
    }
    days = sorted(set(icu_days(participant, user)) | set(existing))
    bound = bound or {}
    queries = open_queries_by_row(DailyFollowUp, participant)
    live = _editable_days(days, existing, wanted) | set(bound) if editable else set()
    return [
        {
            "day": day,
            "id": f"row-{day.isoformat()}",
            "instance": existing.get(day),
            "editable": day in live,
            "form": (bound.get(day) or _row_form(day, existing.get(day))) if day in live else None,
            "cells": None
            if day in live
            else _cells(existing.get(day), queries.get(getattr(existing.get(day), "pk", None))),
            "open_queries": sum(queries.get(getattr(existing.get(day), "pk", None), {}).values()),
        }
        for day in days
    ]


def _render(
    request: AuthenticatedRequest,
    participant: Participant,
    bound: dict | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    lock = locks.lock_refusing(participant)
    can_enter_rows = can_enter(request.user, participant) and lock is None
    wanted = None
    if request.GET.get("edit"):
        wanted = _day(request.GET["edit"])
    rows = _rows(participant, request.user, editable=can_enter_rows, bound=bound, wanted=wanted)
    return render(
        request,
        "crf/daily_grid.html",
        {
            "participant": participant,
            "rows": rows,
            "fields": GRID_FIELDS,
            "labels": [DailyFollowUp._meta.get_field(n).verbose_name for n in GRID_FIELDS],
            "can_enter": can_enter_rows,
            "locked": lock,
            "lock_message": locks.lock_message(lock) if lock else "",
            **(extra or {}),
        },
    )


@capability_required(C.VIEW_CLINICAL_DATA)
def daily_grid(request: AuthenticatedRequest, code: str) -> HttpResponse:
    return _render(request, get_participant_for_user(request.user, code))


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Http404 from None


@require_POST
@capability_required(C.VIEW_CLINICAL_DATA)
def daily_grid_row(request: AuthenticatedRequest, code: str, day: str) -> HttpResponse:
    """Save one day of the grid."""
    participant = get_participant_for_user(request.user, code)
    require_enter(request.user, participant)
    on = _day(day)
    instance = DailyFollowUp.objects.current().filter(participant=participant, day_date=on).first()
    # The form builds on a copy: the service compares against the stored row.
    form = _row_form(on, copy.copy(instance) if instance else None, request.POST)
    lock = locks.lock_refusing(participant, instance)
    if lock is not None:
        messages.error(request, locks.lock_message(lock))
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
            when = timezone.localtime(stale.current.updated_at).strftime("%H:%M")
            form.add_error(
                None,
                gettext("Changed by %(who)s at %(when)s since you opened it: reload the grid.")
                % {"who": who, "when": when},
            )
        except services.ParticipantLocked as locked:
            form.add_error(None, str(locked))
        except ReasonRequired:
            form.add_error(None, gettext("Give a reason for this change."))
        except IntegrityError as error:
            form.add_error(None, integrity_message(error))
        else:
            label = study_day_label(result.obj.study_day)
            if result.unchanged:
                messages.info(
                    request,
                    gettext("%(day)s: nothing changed, nothing was saved.") % {"day": label},
                )
                return redirect("crf:daily_grid", code=code)
            messages.success(request, gettext("%(day)s saved.") % {"day": label})
            for finding in result.warnings:
                messages.warning(
                    request,
                    gettext("%(day)s: flagged for review: %(message)s")
                    % {"day": label, "message": finding.message},
                )
            return redirect("crf:daily_grid", code=code)
    return _render(request, participant, bound={on: form}, extra={"error_day": on})


@require_POST
@capability_required(C.VIEW_CLINICAL_DATA)
def daily_sofa(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Live SOFA of one grid row (htmx): computed from the posted inputs, nothing saved."""
    participant = get_participant_for_user(request.user, code)
    # Only the weight is needed (mg/h → µg/kg/min), not the participant's whole facts.
    weight = (
        Baseline.objects.current()
        .filter(participant=participant)
        .values_list("weight_kg", flat=True)
        .first()
    )
    form = _row_form(paris_today(timezone.now()), None, request.POST)
    form.is_valid()
    values = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if k not in form.errors}
    standard = sofa.standard_values(values, weight)
    score = sofa.compute({**values, **standard})
    return render(request, "crf/_sofa.html", {"score": score})
