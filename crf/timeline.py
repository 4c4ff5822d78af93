"""A participant's whole course, day by day: the schedule overlaid with the stored forms.

`load_course` reads everything the participant page shows in a fixed number of queries
(whatever the number of forms): the status rows of the scheduled forms in ONE
``UNION ALL`` (each model's `values()`), the ICU stays, and one `values()` per log.
`build_timeline` is then pure: crf.schedule.expected_forms from the stored clinical
state, each expected form matched to its stored row, the status vocabulary below.
Day-10 biology is read through `progress_visible_to` (status only, never a result).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import CharField, F, IntegerField, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from crf.models import (
    AdverseEvent,
    Baseline,
    ConcomitantMedication,
    CrfStatus,
    D10Biology,
    DailyFollowUp,
    Death,
    EndOfStudy,
    FollowUp,
    HospitalDischarge,
    IcuStay,
    ProtocolDeviation,
    SecondaryInfection,
    StudyDrugAdministration,
)
from crf.schedule import (
    LAST_STUDY_DAY,
    VISITS_BY_CODE,
    ClinicalState,
    ExpectedForm,
    d0_from_randomized_at,
    expected_forms,
    study_date,
    study_day,
    to_study_date,
)

# The status vocabulary of every form on the participant page (CSS `status status-<code>`).
# queried / verified / signed come with monitoring and signatures (next issue); the
# vocabulary is complete now so that the page and its CSS do not change then.
STATUS_LABELS: dict[str, Any] = {
    "not_due": _("Not due"),
    "due": _("Due"),
    "overdue": _("Overdue"),
    "in_progress": _("In progress"),
    "complete": _("Complete"),
    "queried": _("Queried"),
    "verified": _("Verified"),
    "signed": _("Signed"),
    "locked": _("Locked"),
}

# Form code of crf/schedule.py → slug of the CRF views (crf.views.SPECS).
SLUGS = {
    "BASELINE": "baseline",
    "DAILY": "daily",
    "D10_BIOLOGY": "d10",
    "ICU_DISCHARGE": "icu-stay",
    "HOSPITAL_DISCHARGE": "hospital-discharge",
    "END_OF_STUDY": "end-of-study",
    "FU_D30": "follow-up",
    "FU_D60": "follow-up",
    "FU_D90": "follow-up",
    **{f"INJ{n}": "injection" for n in range(1, 6)},
}

# (kind, model, key field, study-day field or None, extra field or None): the scheduled
# forms read in the one UNION query. `key` is what matches a row to an expected form.
_STATUS_SOURCES: tuple[tuple[str, Any, str | None, str | None, str | None], ...] = (
    ("BASELINE", Baseline, None, None, None),
    ("INJ", StudyDrugAdministration, "number", "study_day", "given"),
    ("DAILY", DailyFollowUp, "day_date", "study_day", "imv"),
    ("D10_BIOLOGY", D10Biology, None, "study_day", None),
    ("HOSPITAL_DISCHARGE", HospitalDischarge, "discharge_date", None, "admission_date"),
    ("FU", FollowUp, "visit", "study_day", "vital_status"),
    ("END_OF_STUDY", EndOfStudy, "end_date", None, "end_status"),
    ("DEATH", Death, "death_date", None, None),
)
_COLUMNS = ("r_kind", "r_id", "r_status", "r_key", "r_day", "r_extra")


def _text(name: str | None) -> Any:
    if name is None:
        return Value(None, output_field=CharField())
    return Cast(F(name), output_field=CharField())


def _status_query(participant: Any, user: Any) -> Any:
    parts = []
    for kind, model, key, day, extra in _STATUS_SOURCES:
        if model is D10Biology:
            qs = D10Biology.objects.progress_visible_to(user)
        else:
            qs = model.objects.visible_to(user)
        qs = (
            qs.current()
            .filter(participant=participant)
            .order_by()
            .annotate(
                r_kind=Value(kind, output_field=CharField()),
                r_id=F("id"),
                r_status=F("status"),
                r_key=_text(key),
                r_day=F(day) if day else Value(None, output_field=IntegerField()),
                r_extra=_text(extra),
            )
            .values_list(*_COLUMNS)
        )
        parts.append(qs)
    return parts[0].union(*parts[1:], all=True)


@dataclass
class Course:
    """What is stored about one participant, loaded once."""

    participant: Any
    randomized_at: datetime | None
    kit_codes: list[str]
    rows: list[dict[str, Any]]  # status rows of the scheduled forms (see _STATUS_SOURCES)
    stays: list[dict[str, Any]]
    infections: list[dict[str, Any]]
    adverse_events: list[dict[str, Any]]
    medications: list[dict[str, Any]]
    deviations: list[dict[str, Any]]

    @property
    def d0(self) -> date | None:
        return d0_from_randomized_at(self.randomized_at) if self.randomized_at else None

    def rows_of(self, kind: str) -> list[dict[str, Any]]:
        return [row for row in self.rows if row["kind"] == kind]

    def one(self, kind: str) -> dict[str, Any] | None:
        rows = self.rows_of(kind)
        return rows[0] if rows else None


def load_course(participant: Any, user: Any, *, kit_codes: bool = True) -> Course:
    """Everything of the participant page, in 8 queries whatever the data size."""
    from randomization.selectors import kit_codes_for, randomized_at

    rows = [dict(zip(("kind", "id", "status", "key", "day", "extra"), r, strict=True))
            for r in _status_query(participant, user)]
    mine = {"participant": participant}
    return Course(
        participant=participant,
        randomized_at=randomized_at(participant),
        kit_codes=sorted(kit_codes_for(participant)) if kit_codes else [],
        rows=rows,
        stays=list(
            IcuStay.objects.visible_to(user).current().filter(**mine).order_by("stay_number")
            .values("id", "status", "stay_number", "admitted_at", "discharged_at",
                    "ongoing_at_d90", "vital_status", "destination")
        ),
        infections=list(
            SecondaryInfection.objects.visible_to(user).current().filter(**mine)
            .order_by("episode_number")
            .values("id", "status", "episode_number", "onset_date", "study_day", "category",
                    "location", "septic_shock", "outcome")
        ),
        adverse_events=list(
            AdverseEvent.objects.visible_to(user).current().filter(**mine).order_by("ae_number")
            .values("id", "status", "ae_number", "term", "onset_date", "serious",
                    "severity_grade", "outcome", "sae_notified_at", "acknowledged_at")
        ),
        medications=list(
            ConcomitantMedication.objects.visible_to(user).current().filter(**mine)
            .order_by("start_date", "id")
            .values("id", "status", "category", "drug_name", "start_date", "stop_date",
                    "ongoing", "prednisone_equivalent_mg")
        ),
        deviations=list(
            ProtocolDeviation.objects.visible_to(user).current().filter(**mine)
            .order_by("deviation_date", "id")
            .values("id", "status", "deviation_date", "category", "severity", "is_proposal")
        ),
    )


def _paris(moment: datetime | None) -> date | None:
    return to_study_date(moment) if moment is not None else None


def clinical_state(course: Course) -> ClinicalState | None:
    """The schedule's view of the stored course (None before randomization)."""
    d0 = course.d0
    if d0 is None:
        return None
    stays = [(_paris(s["admitted_at"]), _paris(s["discharged_at"])) for s in course.stays]
    if not stays:
        # No ICU stay recorded yet: in the ICU since randomization (as the daily grid does).
        stays = [(d0, None)]
    death = course.one("DEATH")
    eos = course.one("END_OF_STUDY")
    hospital = course.one("HOSPITAL_DISCHARGE")
    return ClinicalState(
        d0=d0,
        icu_stays=stays,
        death_date=date.fromisoformat(death["key"]) if death else None,
        end_of_study_date=date.fromisoformat(eos["key"]) if eos and eos["key"] else None,
        end_of_study_reason=eos["extra"] if eos else None,
        hospital_discharge_date=(
            date.fromisoformat(hospital["key"]) if hospital and hospital["key"] else None
        ),
    )


@dataclass
class Item:
    """One form on the timeline."""

    code: str
    label: Any
    study_day: int
    target_date: date
    status: str
    row_id: int | None = None
    occurrence: int | None = None
    window: tuple[date, date] | None = None
    slug: str = ""
    query: str = ""  # query string of the "new form" URL (number, visit, day)

    @property
    def status_label(self) -> Any:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass
class Day:
    study_day: int
    date: date
    items: list[Item] = field(default_factory=list)
    in_icu: bool = False
    is_today: bool = False


@dataclass
class Timeline:
    d0: date
    today: date
    today_day: int
    days: list[Day]

    @property
    def items(self) -> list[Item]:
        return [item for day in self.days for item in day.items]


def _match_key(form: ExpectedForm) -> tuple[str, str | None]:
    """The (kind, key) of the stored row an expected form is completed by."""
    if form.code.startswith("INJ"):
        return "INJ", form.code.removeprefix("INJ")
    if form.code.startswith("FU_"):
        return "FU", form.code
    if form.code == "DAILY":
        return "DAILY", form.target_date.isoformat()
    return form.code, None


def _stored_status(status: str, locked: bool) -> str:
    if locked:
        return "locked"
    return "complete" if status == CrfStatus.COMPLETE else "in_progress"


def _query_for(code: str, target: date) -> str:
    if code.startswith("INJ"):
        return f"number={code.removeprefix('INJ')}"
    if code.startswith("FU_"):
        return f"visit={code}"
    if code == "DAILY":
        return f"day_date={target.isoformat()}"
    return ""


def build_timeline(course: Course, today: date) -> Timeline | None:
    """Expected forms with their statuses, grouped by study day (pure, no query)."""
    state = clinical_state(course)
    if state is None:
        return None
    locked = course.participant.locked_at is not None
    by_key: dict[tuple[str, str | None], dict[str, Any]] = {}
    for row in course.rows:
        if row["kind"] in {"BASELINE", "D10_BIOLOGY", "HOSPITAL_DISCHARGE", "END_OF_STUDY"}:
            by_key[(row["kind"], None)] = row
        elif row["kind"] != "DEATH":
            by_key[(row["kind"], row["key"])] = row
    stays = {s["stay_number"]: s for s in course.stays}
    # Stays are numbered in admission order among the current rows.
    stay_by_position = dict(enumerate(sorted(stays.values(), key=lambda s: s["admitted_at"]), 1))

    items: list[Item] = []
    used: set[int] = set()
    for form in expected_forms(state, today):
        item = Item(
            code=form.code,
            label=_(VISITS_BY_CODE[form.code].label),
            study_day=form.study_day,
            target_date=form.target_date,
            status=str(form.status),
            occurrence=form.occurrence,
            window=(form.window_start, form.window_end),
            slug=SLUGS[form.code],
            query=_query_for(form.code, form.target_date),
        )
        if form.code == "ICU_DISCHARGE":
            stay = stay_by_position.get(form.occurrence or 1)
            if stay is not None:
                item.row_id = stay["id"]
                # The stay row exists from admission; its discharge form is done once
                # the discharge (or "still in the ICU at D90") is recorded.
                if stay["discharged_at"] is not None or stay["ongoing_at_d90"]:
                    item.status = _stored_status(stay["status"], locked)
        else:
            row = by_key.get(_match_key(form))
            if row is not None:
                item.row_id = row["id"]
                used.add(row["id"] * 100 + _KIND_INDEX[row["kind"]])
                item.status = _stored_status(row["status"], locked)
        items.append(item)

    # Stored forms the schedule no longer expects (e.g. a day outside the ICU stays as
    # now recorded) still appear, on their own day, so nothing saved is hidden.
    for row in course.rows:
        if row["kind"] == "DEATH" or row["id"] * 100 + _KIND_INDEX[row["kind"]] in used:
            continue
        code, target = _orphan_code_and_date(row, state.d0)
        if code is None or target is None:
            continue
        items.append(Item(code=code, label=_(VISITS_BY_CODE[code].label),
                          study_day=study_day(state.d0, target), target_date=target,
                          status=_stored_status(row["status"], locked), row_id=row["id"],
                          slug=SLUGS[code]))

    icu_dates = _icu_dates(state, today)
    last = max([LAST_STUDY_DAY, *(i.study_day for i in items)])
    today_day = study_day(state.d0, today)
    grouped: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.study_day].append(item)
    days = []
    for n in sorted(set(grouped) | ({today_day} if 0 <= today_day <= last else set())):
        on = study_date(state.d0, n)
        days.append(Day(study_day=n, date=on, items=grouped.get(n, []),
                        in_icu=on in icu_dates, is_today=n == today_day))
    return Timeline(d0=state.d0, today=today, today_day=today_day, days=days)


_KIND_INDEX = {kind: index for index, (kind, *_rest) in enumerate(_STATUS_SOURCES)}


def _orphan_code_and_date(row: dict[str, Any], d0: date) -> tuple[str | None, date | None]:
    kind, key, day = row["kind"], row["key"], row["day"]
    if kind == "DAILY":
        return "DAILY", date.fromisoformat(key)
    if kind == "INJ":
        return f"INJ{key}", study_date(d0, day if day is not None else int(key) * 2 - 1)
    if kind == "FU":
        return key, study_date(d0, day if day is not None else VISITS_BY_CODE[key].target_day)
    if kind == "D10_BIOLOGY":
        return kind, study_date(d0, day if day is not None else 10)
    if kind == "BASELINE":
        return kind, d0
    if kind in {"HOSPITAL_DISCHARGE", "END_OF_STUDY"} and key:
        return kind, date.fromisoformat(key)
    return None, None


def _icu_dates(state: ClinicalState, today: date) -> set[date]:
    from crf.schedule import _daily_dates

    return set(_daily_dates(state, today))


def summary(course: Course, timeline: Timeline | None) -> dict[str, Any]:
    """Counts for the header: forms by status, logs, SAEs (from what is loaded)."""
    counts: dict[str, int] = defaultdict(int)
    for item in timeline.items if timeline else []:
        counts[item.status] += 1
    return {
        "by_status": [(code, STATUS_LABELS[code], counts[code]) for code in STATUS_LABELS
                      if counts[code]],
        "infections": len(course.infections),
        "adverse_events": len(course.adverse_events),
        "saes": sum(1 for ae in course.adverse_events if ae["serious"]),
    }
