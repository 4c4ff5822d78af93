"""The daily ICU flowsheet: variables in rows, ICU days in columns, a week per screen; one
form (and version) per day (docs/decisions/0033-daily-flowsheet.md).

Days come from crf.schedule.expected_forms; every day saves alone through
crf.services.save_daily (rules, audit, optimistic lock), so a day never waits for another.
"""

from __future__ import annotations

import copy
import functools
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db import IntegrityError
from django.forms.models import model_to_dict
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.decorators import capability_required
from accounts.roles import Capability as C
from audit.services import ReasonRequired
from audit.versioning import StaleVersion
from crf import flowsheet, services, sofa
from crf.access import can_enter, get_participant_for_user, require_enter
from crf.definitions import by_model
from crf.forms import form_class
from crf.models import Baseline, DailyFollowUp
from crf.open_queries import open_queries_by_row
from crf.schedule import expected_forms
from crf.templatetags.study_days import study_day_label
from crf.timeline import CLINICAL_STATE_DEFINITIONS, clinical_state, load_course
from crf.views import integrity_message
from crf.widget_html import unbound_html, widget_html
from participants import locks
from participants.models import Participant
from platinium.lib.study_time import paris_date, paris_today

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest, User


def icu_days(participant: Participant, user: User) -> dict[date, int]:
    """The calendar days the schedule expects a daily form for (D0 → ICU discharge), with
    their study day."""
    course = load_course(participant, user, kit_codes=False, definitions=CLINICAL_STATE_DEFINITIONS)
    state = clinical_state(course)
    if state is None:
        return {}
    today = paris_date(timezone.now())
    return {f.target_date: f.study_day for f in expected_forms(state, today) if f.code == "DAILY"}


def _row_form(day: date, instance: DailyFollowUp | None, data: Any = None) -> Any:
    form_type = form_class(by_model(DailyFollowUp))
    target = instance or DailyFollowUp(day_date=day)
    form = form_type(data, instance=target, auto_id=f"id_{day.isoformat()}_%s")
    form_id = f"row-{day.isoformat()}"
    for field in form.fields.values():
        field.widget.attrs["form"] = form_id
        field.widget.attrs["class"] = "form-control form-control-sm"
    return form


def _shown(instance: DailyFollowUp, name: str, raw: Any) -> Any:
    if raw is None or raw == "":
        return ""
    if DailyFollowUp._meta.get_field(name).choices:
        return getattr(instance, f"get_{name}_display")()
    if raw is True:
        return gettext("Yes")
    if raw is False:
        return gettext("No")
    return raw


def _text_cell(day: date, names: tuple[str, ...], instance: Any, queries: dict[str, int]) -> str:
    """A read-only cell, built here rather than in the template: a week of the flowsheet
    has ~300 of them and the template engine made them the page's cost."""
    parts = []
    for name in names:
        raw = getattr(instance, name, None) if instance is not None else None
        shown = _shown(instance, name, raw) if instance is not None else ""
        count = queries.get(name, 0)
        # The count of unresolved queries on the item, next to its value.
        badge = (
            format_html(' <span class="status status-queried">? {}</span>', count) if count else ""
        )
        parts.append((name, _input_value(raw), shown, badge))
    inner = format_html_join(" ", '<span data-name="{}" data-value="{}">{}</span>{}', parts)
    return format_html('<td data-day="{}">{}</td>', day.isoformat(), inner)


def _input_cell(col: dict, names: tuple[str, ...]) -> str:
    return mark_safe(f'<td class="flow-input">{"".join(col["inputs"][n] for n in names)}</td>')  # noqa: S308 (escaped parts)


def _bound_inputs(form: Any) -> dict[str, str]:
    """Every input of a day's form with its errors (the day posted back with errors)."""
    inputs = {}
    for bound in (form[name] for name in flowsheet.items()):
        errors = (
            format_html('<div class="text-danger small">{}</div>', " ".join(bound.errors))
            if bound.errors
            else ""
        )
        inputs[bound.name] = widget_html(bound) + errors
    return inputs


def _input_value(raw: Any) -> str:
    """A saved value as the day's input takes it back ("same as yesterday" copies it):
    Yes/No as the options of crf.forms.YesNoSelect, dates in ISO form."""
    if raw is True:
        return "true"
    if raw is False:
        return "false"
    if raw is None:
        return ""
    return raw.isoformat() if isinstance(raw, date) else str(raw)


def _week(request: AuthenticatedRequest, days: list[date], existing: dict, error: Any) -> int:
    """The week asked for (?week=N, or ?edit=<day>: the week of that day), else the week of
    the first day still to enter, else the last week."""
    if error is not None:
        return flowsheet.week_holding(days, error)
    if request.GET.get("week"):
        try:
            asked = int(request.GET["week"])
        except ValueError:
            raise Http404 from None
        return min(max(asked, 1), max(len(flowsheet.weeks(days)), 1))
    if request.GET.get("edit"):
        return flowsheet.week_holding(days, _day(request.GET["edit"]))
    missing = [d for d in days if d not in existing]
    return flowsheet.week_holding(days, missing[0] if missing else (days[-1] if days else date.min))


def _columns(
    shown: list[date],
    study_days: dict[date, int],
    existing: dict[date, DailyFollowUp],
    *,
    editable: bool,
    bound: dict[date, Any],
    queries: dict[int, dict[str, int]],
) -> list[dict]:
    columns = []
    # One unbound form lends its fields to every day not posted back: a day's inputs are
    # what its own form would render (crf.widget_html.unbound_html), without building ~45
    # fields per day (tests/crf/test_grid_cells.py compares both). Built by _row_form, so
    # the attrs it gives every widget are the prototype's too (each day overrides `form`).
    # Its fields are only read (labels stay lazy: translated in the request's language).
    prototype = _prototype() if editable else None
    fast = prototype is not None and _lends_fields(prototype)
    names: dict[str, str] = {}  # field → its capitalised label, the same every day
    options: dict[tuple[Any, ...], str | None] = {}  # a select's options by value (unbound_html)
    for day in shown:
        instance = existing.get(day)
        label = study_day_label(instance.study_day if instance else study_days.get(day))
        form = bound.get(day)
        inputs: dict[str, str] = {}
        hidden = ""
        if editable:
            if form is None and not fast:
                form = _row_form(day, instance)
            for name, field in (form or prototype).fields.items():
                if name not in names:
                    names[name] = str(capfirst(field.label or ""))
            if form is None:
                inputs, hidden = _unbound_day(prototype, day, instance, label, names, options)
            else:
                for name, field in form.fields.items():
                    # The accessible name of every input: "PaO₂ (…), J3".
                    field.widget.attrs["aria-label"] = f"{names[name]}, {label}"
                inputs = _bound_inputs(form)
                hidden = "".join(str(h) for h in form.hidden_fields())
        row_queries = queries.get(getattr(instance, "pk", None), {})
        columns.append(
            {
                "day": day,
                "id": f"row-{day.isoformat()}",
                "label": label,
                "instance": instance,
                "editable": editable,
                "form": form,
                # The form whose fields rendered the day's inputs (its own, or the prototype's).
                "fields_from": form or prototype,
                "inputs": inputs,
                "hidden": mark_safe(hidden),  # noqa: S308 (widgets escape their values)
                "open_queries": sum(row_queries.values()),
                "queries": row_queries,
            }
        )
    return columns


@functools.cache
def _prototype() -> Any:
    """The unbound form whose fields render every unbound day (built once per process: a
    form definition, no data; crf.forms.form_class is built once too)."""
    return _row_form(date.min, None)


def _lends_fields(prototype: Any) -> bool:
    """Whether unbound days may be rendered from the prototype's fields (no localized
    field: Django's as_widget changes a localized field's widget before rendering it)."""
    return not any(field.localize for field in prototype.fields.values())


def _unbound_day(
    prototype: Any,
    day: date,
    instance: DailyFollowUp | None,
    label: str,
    names: dict[str, str],
    options: dict[tuple[Any, ...], str | None] | None = None,
) -> tuple[dict[str, str], str]:
    """The inputs and hidden fields `_row_form(day, instance)` would render, with the
    accessible names `_columns` gives them."""
    target = instance or DailyFollowUp(day_date=day)
    opts = prototype._meta
    initial = model_to_dict(target, opts.fields, opts.exclude)
    if target.pk:
        initial["expected_version"] = target.version
    auto_id = f"id_{day.isoformat()}_%s"
    form_id = f"row-{day.isoformat()}"
    inputs: dict[str, str] = {}
    hidden: list[str] = []
    shown = set(flowsheet.items())
    for name, field in prototype.fields.items():
        if name not in shown and not field.widget.is_hidden:
            continue  # the reason for change is typed in the grid's own row (template)
        extra = {
            "form": form_id,
            "class": "form-control form-control-sm",
            "aria-label": f"{names[name]}, {label}",
        }
        html = unbound_html(prototype, name, initial, auto_id, extra, options)
        if field.widget.is_hidden:
            hidden.append(html)
        else:
            inputs[name] = html
    return inputs, "".join(hidden)


def _row(name: str, label: Any, cells: str) -> str:
    """One line of the flowsheet, as the template's loop wrote it (tests/crf/test_grid_cells.py
    compares both): ~45 lines a page, each a dozen template lookups."""
    return format_html(
        '<tr data-row="{}"><th scope="row" class="flow-label">{}</th>{}</tr>\n', name, label, cells
    )


def _groups(columns: list[dict]) -> list[dict]:
    """The body of the flowsheet: per organ system, per variable, one cell per day."""
    out = []
    for key, heading, rows in flowsheet.GROUPS:
        lines = []
        for names in rows:
            cells = [
                _input_cell(col, names)
                if col["editable"]
                else _text_cell(col["day"], names, col["instance"], col["queries"])
                for col in columns
            ]
            label = capfirst(DailyFollowUp._meta.get_field(names[0]).verbose_name)
            lines.append(_row(names[0], label, mark_safe("".join(cells))))  # noqa: S308 (format_html)
        out.append({"key": key, "heading": heading, "rows": mark_safe("".join(lines))})  # noqa: S308
    return out


def _sofa_cell(cell_id: str, value: Any) -> str:
    # As {{ value|default_if_none:"—" }}: localized, escaped.
    return format_html(
        '<td id="{}" class="flow-sofa-cell">{}</td>',
        cell_id,
        "—" if value is None else localize(value),
    )


def _sofa_rows(columns: list[dict]) -> str:
    """The daily SOFA and its components, a line each, one cell per day."""
    lines = []
    for name in flowsheet.SOFA_ROWS:
        cells = "".join(
            _sofa_cell(
                f"sofa-{name}-{col['day'].isoformat()}",
                getattr(col["instance"], name, None) if col["instance"] else None,
            )
            for col in columns
        )
        label = capfirst(DailyFollowUp._meta.get_field(name).verbose_name)
        lines.append(_row(name, label, mark_safe(cells)))  # noqa: S308 (format_html)
    return mark_safe("".join(lines))  # noqa: S308 (format_html)


def _render(
    request: AuthenticatedRequest,
    participant: Participant,
    bound: dict | None = None,
    extra: dict | None = None,
) -> HttpResponse:
    lock = locks.lock_refusing(participant)
    can_enter_days = can_enter(request.user, participant) and lock is None
    bound = bound or {}
    existing = {
        row.day_date: row for row in DailyFollowUp.objects.current().filter(participant=participant)
    }
    study_days = icu_days(participant, request.user)
    days = sorted(set(study_days) | set(existing))
    weeks = flowsheet.weeks(days)
    number = _week(request, days, existing, next(iter(bound), None))
    shown = weeks[number - 1] if weeks else []
    columns = _columns(
        shown,
        study_days,
        existing,
        editable=can_enter_days,
        bound=bound,
        queries=open_queries_by_row(DailyFollowUp, participant),
    )
    # "Same as yesterday" on the week's first day copies the day before, shown on another week.
    before = days[days.index(shown[0]) - 1] if shown and days.index(shown[0]) > 0 else None
    saved_before = existing.get(before) if before else None
    previous = (
        {name: _input_value(getattr(saved_before, name)) for name in flowsheet.items()}
        if saved_before
        else {}
    )
    return render(
        request,
        "crf/daily_grid.html",
        {
            "participant": participant,
            "columns": columns,
            "groups": _groups(columns),
            "sofa_rows": _sofa_rows(columns),
            "week": number,
            "weeks": len(weeks),
            "earlier": number - 1 if number > 1 else None,
            "later": number + 1 if number < len(weeks) else None,
            "first_day": days[0] if days else None,
            "previous_id": f"row-{before.isoformat()}" if before else "",
            "previous_values": previous,
            "can_enter": can_enter_days,
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


def _to_next_day(code: str, saved: date) -> HttpResponse:
    """Back to the flowsheet on the week of the day after the saved one, which takes the
    focus (static/js/flowsheet.js): entering a week is Tab, …, Enter, day after day."""
    following = (saved + timedelta(days=1)).isoformat()
    url = reverse("crf:daily_grid", kwargs={"code": code})
    return redirect(f"{url}?edit={following}#enter-{following}")


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
                return _to_next_day(code, on)
            messages.success(request, gettext("%(day)s saved.") % {"day": label})
            for finding in result.warnings:
                messages.warning(
                    request,
                    gettext("%(day)s: flagged for review: %(message)s")
                    % {"day": label, "message": finding.message},
                )
            return _to_next_day(code, on)
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
