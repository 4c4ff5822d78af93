"""The participant page: the whole course on one screen (timeline, logs, outcomes, kits).

A fixed number of queries whatever the participant's data (crf.timeline.load_course);
day-10 biology shows its status only (crf/blinding.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accounts.access import has_capability
from accounts.decorators import capability_required
from accounts.reauth import second_factor_required
from accounts.roles import Capability as C
from crf import timeline
from crf.access import get_participant_for_user
from crf.blinding import d10_results_visible
from crf.definitions import DEFINITIONS
from crf.timeline_html import timeline_rows
from participants import locks
from platinium.lib.study_time import paris_date

if TYPE_CHECKING:
    from accounts.types import AuthenticatedRequest, User


@capability_required(C.VIEW_CLINICAL_DATA)
def participant_page(request: AuthenticatedRequest, code: str) -> HttpResponse:
    participant = get_participant_for_user(request.user, code)
    user = request.user
    site_id = participant.site_id
    sees_kits = has_capability(user, C.SEE_KIT_NUMBERS, site_id)
    database_lock, casebook_lock = locks.current_for(participant)
    lock = database_lock or casebook_lock
    course = timeline.load_course(participant, user, kit_codes=sees_kits)
    course.locked = lock is not None
    today = paris_date(timezone.now())
    line = timeline.build_timeline(course, today)
    locked = lock is not None
    can_enter = has_capability(user, C.ENTER_CRF, site_id) and not locked
    can_enter_d10 = has_capability(user, C.ENTER_D10_BIOLOGY, site_id) and not locked
    d10_readable = d10_results_visible(user, database_lock=database_lock)
    can_lock = has_capability(user, C.LOCK, site_id)
    for item in line.items if line else []:
        item.url = _link(
            item, code, can_enter=can_enter, can_enter_d10=can_enter_d10, d10_readable=d10_readable
        )
    _label_choices(course)
    return render(
        request,
        "crf/participant_page.html",
        {
            "participant": participant,
            "course": course,
            "timeline": line,
            "timeline_rows": timeline_rows(line.days) if line else "",
            "summary": timeline.summary(course, line),
            "outcomes": timeline.derived_outcomes(course),
            "locked": locked,
            "lock_message": locks.lock_message(lock) if lock else "",
            "casebook_lock": casebook_lock,
            "can_lock": can_lock,
            "lock_with_token": can_lock and second_factor_required(user),
            "sees_kits": sees_kits,
            "can_enter": can_enter,
            "status_labels": timeline.STATUS_LABELS,
            "actions": _randomization_actions(user, participant, course),
            "can_audit": has_capability(user, C.VIEW_AUDIT, site_id),
            "icu_discharge_url": _icu_discharge_url(course, code) if can_enter else "",
        },
    )


def open_stay(stays: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The ICU stay still open (no discharge, not "still in the ICU at D90"), if any."""
    return next((s for s in stays if s["discharged_at"] is None and not s["ongoing_at_d90"]), None)


def _icu_discharge_url(course: timeline.Course, code: str) -> str:
    """ "ICU discharge" edits the open stay (a new stay would overlap it, issue #11); with
    no stay recorded yet it opens the index stay; once every stay is closed, nothing (a
    readmission is a new stay, from the casebook)."""
    if course.randomized_at is None:
        return ""
    stay = open_stay(course.stays)
    if stay is not None:
        return reverse("crf:form_edit", args=[code, "icu-stay", stay["id"]])
    return "" if course.stays else reverse("crf:form_new", args=[code, "icu-stay"])


def _randomization_actions(user: User, participant: Any, course: Any) -> dict[str, bool]:
    """Which randomization pages this user can open for this participant (no arm here)."""
    site_id = participant.site_id
    randomized = course.randomized_at is not None
    return {
        "randomize": not randomized
        and participant.status == participant.Status.ENROLLED
        and has_capability(user, C.RANDOMIZE, site_id),
        "confirmation": randomized and has_capability(user, C.SEE_KIT_NUMBERS, site_id),
        "unblind": randomized and has_capability(user, C.EMERGENCY_UNBLIND, site_id),
    }


def _link(item: Any, code: str, *, can_enter: bool, can_enter_d10: bool, d10_readable: bool) -> str:
    """Where a form of the timeline opens: its page, a new form, or nothing (status only)."""
    if item.code == "DAILY":
        day = item.target_date.isoformat()
        return reverse("crf:daily_grid", args=[code]) + f"?edit={day}#enter-{day}"
    if item.code == "D10_BIOLOGY":
        # Blinded roles see whether it is done, never the results (crf/blinding.py).
        if item.row_id is not None:
            return (
                reverse("crf:form_detail", args=[code, item.slug, item.row_id])
                if d10_readable
                else ""
            )
        return reverse("crf:form_new", args=[code, item.slug]) if can_enter_d10 else ""
    if item.row_id is not None:
        if (
            item.code == "ICU_DISCHARGE"
            and item.status in {"not_due", "due", "overdue"}
            and can_enter
        ):
            return reverse("crf:form_edit", args=[code, item.slug, item.row_id])
        return reverse("crf:form_detail", args=[code, item.slug, item.row_id])
    if not can_enter:
        return ""
    url = reverse("crf:form_new", args=[code, item.slug])
    return f"{url}?{item.query}" if item.query else url


def _label_choices(course: timeline.Course) -> None:
    """Readable labels (`<name>_label`) for the coded values the page reads (choices; no
    query)."""
    for definition in DEFINITIONS:
        for name in definition.timeline_fields:
            choices = dict(definition.model._meta.get_field(name).choices or ())
            if not choices or name == "status":
                continue
            for row in course.rows[definition.code]:
                row[f"{name}_label"] = choices.get(row[name], row[name] or "—")
