"""The PLATINIUM visit schedule as data, and the forms expected for a participant.

Pure module: no Django import, so the CRF models, views, exports and tests share
one definition. Every [INF] choice of crf-spec.md §0.1 and §1 (windows, planned injection
days, data-entry grace) lives here and nowhere else; the study-day origin lives with the
other instant-to-study-date rules in platinium/lib/study_time.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from platinium.lib.study_time import STUDY_TIME_ZONE, study_day


def gettext_noop(message: str) -> str:
    """Mark a string for translation without translating it (makemessages extracts it)."""
    return message


# [INF] Last study day of the follow-up (D90) and of the daily ICU forms.
LAST_STUDY_DAY = 90

# [INF] Daily and event-driven forms have no protocol window; they become overdue when
# still missing this many days after the day (or event) they describe.
DAILY_ENTRY_GRACE_DAYS = 3
EVENT_ENTRY_GRACE_DAYS = 7


def study_date(d0: date, day: int) -> date:
    """Calendar date of study day ``day`` (Dn = D0 + n days)."""
    return d0 + timedelta(days=day)


def study_day_start(d0: date, day: int) -> datetime:
    """First instant (aware, Europe/Paris) of study day ``day``; day n ends at start of n+1."""
    return datetime.combine(study_date(d0, day), time.min, tzinfo=STUDY_TIME_ZONE)


class VisitKind(StrEnum):
    ONCE = "once"  # scheduled once, with a target day and a window
    DAILY = "daily"  # one form per calendar day in the ICU
    EVENT = "event"  # once per event (ICU stay, hospital discharge, end of study)
    LOG = "log"  # repeating log, 0..n rows, no expectation


@dataclass(frozen=True)
class Visit:
    code: str
    label: str
    kind: VisitKind
    target_day: int | None = None
    # First and last study day of the window, both inclusive.
    window: tuple[int, int] | None = None


# crf-spec.md §1 and protocol.md §3. Order is the order shown on the participant page.
VISITS: tuple[Visit, ...] = (
    Visit("BASELINE", gettext_noop("Baseline (inclusion)"), VisitKind.ONCE, 0, (0, 0)),
    Visit("INJ1", gettext_noop("Injection 1"), VisitKind.ONCE, 1, (1, 1)),
    Visit("INJ2", gettext_noop("Injection 2"), VisitKind.ONCE, 3, (2, 4)),
    Visit("INJ3", gettext_noop("Injection 3"), VisitKind.ONCE, 5, (4, 6)),
    Visit("INJ4", gettext_noop("Injection 4"), VisitKind.ONCE, 7, (6, 8)),
    Visit("INJ5", gettext_noop("Injection 5"), VisitKind.ONCE, 9, (8, 9)),
    Visit("DAILY", gettext_noop("Daily ICU follow-up"), VisitKind.DAILY),
    Visit("D10_BIOLOGY", gettext_noop("Day-10 biology"), VisitKind.ONCE, 10, (9, 11)),
    Visit("ICU_DISCHARGE", gettext_noop("ICU discharge"), VisitKind.EVENT),
    Visit("HOSPITAL_DISCHARGE", gettext_noop("Hospital discharge"), VisitKind.EVENT),
    # Follow-up windows open on the target day, never before (crf-spec.md §1).
    Visit("FU_D30", gettext_noop("Follow-up day 30"), VisitKind.ONCE, 30, (30, 37)),
    Visit("FU_D60", gettext_noop("Follow-up day 60"), VisitKind.ONCE, 60, (60, 67)),
    Visit("FU_D90", gettext_noop("Follow-up day 90"), VisitKind.ONCE, 90, (90, 104)),
    Visit("END_OF_STUDY", gettext_noop("End of study"), VisitKind.EVENT),
    Visit("INFECTION", gettext_noop("Secondary infection episode"), VisitKind.LOG),
    Visit("ADVERSE_EVENT", gettext_noop("Adverse event"), VisitKind.LOG),
    Visit("CONCOMITANT_MEDICATION", gettext_noop("Concomitant medication"), VisitKind.LOG),
    Visit("PROTOCOL_DEVIATION", gettext_noop("Protocol deviation"), VisitKind.LOG),
)

VISITS_BY_CODE: dict[str, Visit] = {visit.code: visit for visit in VISITS}

MAX_INJECTIONS = 5  # [REG] at most 5 injections
FIRST_INJECTION_DAY = 1  # [REG] never before D1
LAST_INJECTION_DAY = 9  # [REG] never after D9


def injection_visit(number: int) -> Visit:
    """The schedule entry of planned injection ``number`` (1–5)."""
    if not 1 <= number <= MAX_INJECTIONS:
        raise ValueError(f"injection number must be 1–{MAX_INJECTIONS}, not {number}")
    return VISITS_BY_CODE[f"INJ{number}"]


class FormStatus(StrEnum):
    NOT_DUE = "not_due"
    DUE = "due"
    OVERDUE = "overdue"


# (admitted date, discharged date or None while still in the ICU)
IcuStay = tuple[date, date | None]


@dataclass(frozen=True)
class ClinicalState:
    """What the schedule needs to know about a participant (dates are Paris dates)."""

    d0: date
    icu_stays: Sequence[IcuStay] = ()
    death_date: date | None = None
    end_of_study_date: date | None = None
    end_of_study_reason: str | None = None
    hospital_discharge_date: date | None = None

    def __post_init__(self) -> None:
        for admitted, discharged in self.icu_stays:
            if discharged is not None and discharged < admitted:
                raise ValueError("an ICU stay cannot end before it starts")


@dataclass(frozen=True)
class ExpectedForm:
    code: str
    study_day: int
    target_date: date
    window_start: date
    window_end: date
    status: FormStatus
    # ICU stay number (1 = index stay) for ICU_DISCHARGE, None otherwise.
    occurrence: int | None = None


def _status(today: date, start: date, end: date) -> FormStatus:
    if today < start:
        return FormStatus.NOT_DUE
    if today > end:
        return FormStatus.OVERDUE
    return FormStatus.DUE


def _stay_end(state: ClinicalState, admitted: date, discharged: date | None) -> date | None:
    """Last calendar day of a stay; a death during an open stay ends it (crf-spec.md §2.11)."""
    if discharged is not None:
        return discharged
    if state.death_date is not None and state.death_date >= admitted:
        return state.death_date
    return None


def _relevant_stays(state: ClinicalState) -> list[IcuStay]:
    """Stays that overlap D0..D90: the index stay and readmissions before D90."""
    last = study_date(state.d0, LAST_STUDY_DAY)
    stays = sorted(state.icu_stays, key=lambda stay: stay[0])
    return [
        (admitted, discharged)
        for admitted, discharged in stays
        if admitted <= last and (discharged is None or discharged >= state.d0)
    ]


def _daily_dates(state: ClinicalState, today: date) -> list[date]:
    """One date per calendar day in the ICU, D0..D90, never after death or end of study.

    An open stay yields days up to today only: the future of an ongoing stay is unknown.
    """
    last = study_date(state.d0, LAST_STUDY_DAY)
    for limit in (state.death_date, state.end_of_study_date):
        if limit is not None:
            last = min(last, limit)
    days: set[date] = set()
    for admitted, discharged in _relevant_stays(state):
        end = _stay_end(state, admitted, discharged)
        stop = min(last, end if end is not None else today)
        current = max(admitted, state.d0)
        while current <= stop:
            days.add(current)
            current += timedelta(days=1)
    return sorted(days)


def _event_form(
    state: ClinicalState, code: str, event: date, today: date, occurrence: int | None = None
) -> ExpectedForm:
    end = event + timedelta(days=EVENT_ENTRY_GRACE_DAYS)
    return ExpectedForm(
        code=code,
        study_day=study_day(state.d0, event),
        target_date=event,
        window_start=event,
        window_end=end,
        status=_status(today, event, end),
        occurrence=occurrence,
    )


def _visit_form(state: ClinicalState, visit: Visit, today: date) -> ExpectedForm:
    assert visit.target_day is not None and visit.window is not None
    start = study_date(state.d0, visit.window[0])
    end = study_date(state.d0, visit.window[1])
    return ExpectedForm(
        code=visit.code,
        study_day=visit.target_day,
        target_date=study_date(state.d0, visit.target_day),
        window_start=start,
        window_end=end,
        status=_status(today, start, end),
    )


def _d90_form(
    state: ClinicalState, code: str, today: date, occurrence: int | None = None
) -> ExpectedForm:
    """An event still open at D90 is recorded as "ongoing at D90" in the D90 window."""
    d90 = VISITS_BY_CODE["FU_D90"]
    form = _visit_form(state, d90, today)
    return ExpectedForm(
        code,
        form.study_day,
        form.target_date,
        form.window_start,
        form.window_end,
        form.status,
        occurrence,
    )


def expected_forms(state: ClinicalState, today: date) -> list[ExpectedForm]:
    """Forms the participant should have, with a due status from ``today`` vs the window.

    Rules (crf-spec.md §1, §2.6–2.16):
    - a scheduled form (baseline, injections, D10 biology, follow-ups) is expected unless
      the participant died before its window opens (so D10 biology needs death ≥ D9 and
      FU_Dn needs death ≥ Dn);
    - daily forms cover each calendar day in the ICU from D0 to D90, the discharge day and
      the death day included; a readmission before D90 reopens them;
    - ICU discharge: one per stay; hospital discharge and end of study once; a stay, a
      hospital stay or the study still open at D90 is expected in the D90 window;
    - end of study closes every form whose window opens after its date.
    Repeating logs (infections, AEs, medications, deviations) are never "expected".
    Completion statuses are overlaid by the caller from the stored forms.
    """
    forms: list[ExpectedForm] = []
    death = state.death_date

    for visit in VISITS:
        if visit.kind is VisitKind.ONCE:
            assert visit.window is not None
            if death is not None and death < study_date(state.d0, visit.window[0]):
                continue
            forms.append(_visit_form(state, visit, today))

    for day in _daily_dates(state, today):
        end = day + timedelta(days=DAILY_ENTRY_GRACE_DAYS)
        forms.append(
            ExpectedForm("DAILY", study_day(state.d0, day), day, day, end, _status(today, day, end))
        )

    for number, (admitted, discharged) in enumerate(_relevant_stays(state), start=1):
        stay_end = _stay_end(state, admitted, discharged)
        if stay_end is not None:
            forms.append(_event_form(state, "ICU_DISCHARGE", stay_end, today, number))
        else:
            forms.append(_d90_form(state, "ICU_DISCHARGE", today, number))

    if state.hospital_discharge_date is not None:
        forms.append(_event_form(state, "HOSPITAL_DISCHARGE", state.hospital_discharge_date, today))
    elif death is not None:
        # Died in hospital: the hospital discharge form records vital status DEAD.
        forms.append(_event_form(state, "HOSPITAL_DISCHARGE", death, today))
    else:
        forms.append(_d90_form(state, "HOSPITAL_DISCHARGE", today))

    if state.end_of_study_date is not None:
        forms.append(_event_form(state, "END_OF_STUDY", state.end_of_study_date, today))
    elif death is not None:
        forms.append(_event_form(state, "END_OF_STUDY", death, today))
    else:
        forms.append(_d90_form(state, "END_OF_STUDY", today))

    if state.end_of_study_date is not None:
        forms = [form for form in forms if form.window_start <= state.end_of_study_date]

    order = {visit.code: index for index, visit in enumerate(VISITS)}
    return sorted(forms, key=lambda f: (f.target_date, order[f.code], f.occurrence or 0))
