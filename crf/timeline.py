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
from decimal import Decimal
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    F,
    QuerySet,
    Value,
)
from django.db.models.functions import JSONObject
from django.utils.translation import gettext_lazy as _

from accounts.access import capability_scope
from accounts.roles import Capability
from crf.definitions import DEFINITIONS, CrfDefinition, by_schedule_code
from crf.models import CrfStatus, D10Biology
from crf.schedule import (
    LAST_STUDY_DAY,
    VISITS_BY_CODE,
    ClinicalState,
    ExpectedForm,
    FormStatus,
    VisitKind,
    expected_forms,
    study_date,
)
from platinium.lib.compiled import PLACEHOLDER, CompiledQuery, compile_query
from platinium.lib.study_time import d0_from_randomized_at, paris_date, study_day

if TYPE_CHECKING:
    from accounts.types import User

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


def _rows_query(
    participants: Any, user: User, definitions: tuple[CrfDefinition, ...] = DEFINITIONS
) -> Any:
    """(participant id, kind, row as JSON) of every current CRF row of `participants` (a
    participant, or a list of participant ids for a work list) in one `UNION ALL`."""
    lookup = "participant__in" if isinstance(participants, list) else "participant"
    parts = []
    for definition in definitions:
        model = definition.model
        qs: Any
        if model is D10Biology:
            qs = D10Biology.objects.progress_visible_to(user)
        else:
            qs = model.objects.visible_to(user)
        parts.append(
            qs.current()
            .filter(**{lookup: participants})
            .order_by()
            .annotate(
                r_kind=Value(definition.code, output_field=CharField()),
                r_data=JSONObject(**{name: F(name) for name in definition.timeline_fields}),
            )
            .values_list("participant_id", "r_kind", "r_data")
        )
    return parts[0].union(*parts[1:], all=True)


@dataclass(frozen=True)
class _Scope:
    """What the rows' SQL depends on besides the forms: the sites where the user may view
    clinical data (`visible_to`). The user whose query is compiled first for a scope is
    kept for that compilation only: it takes no part in the comparison."""

    all_sites: bool
    site_ids: tuple[int, ...]
    user: Any = field(compare=False, repr=False)


def _scope(user: User) -> _Scope | None:
    """The user's clinical scope (None: the user sees no clinical data at all)."""
    all_sites, site_ids = capability_scope(user, Capability.VIEW_CLINICAL_DATA)
    if not all_sites and not site_ids:
        return None
    return _Scope(all_sites, tuple(sorted(site_ids)), user)


@lru_cache(maxsize=256)
def _compiled_rows(definitions: tuple[CrfDefinition, ...], scope: _Scope) -> CompiledQuery:
    query = _rows_query(PLACEHOLDER, scope.user, definitions)
    return compile_query(query, expected=len(definitions))


def compiled_rows(user: User, definitions: tuple[CrfDefinition, ...]) -> CompiledQuery | None:
    """`_rows_query` of one participant, compiled once per process for each set of forms
    and clinical scope and run as a prepared statement (the ORM took about 9 ms to build
    and compile the 13-form UNION on every participant page; ADR 0038, ADR 0045). None:
    the user sees no clinical data at all."""
    scope = _scope(user)
    return None if scope is None else _compiled_rows(definitions, scope)


def _participant_rows(
    participant: Any, user: User, definitions: tuple[CrfDefinition, ...]
) -> list[tuple[int, str, Any]]:
    compiled = compiled_rows(user, definitions)
    if compiled is None:
        return []
    # The ORM's converters read the JSON back (JSONField): a dict per row, as iterating.
    return [(pid, code, data) for pid, code, data in compiled.rows(participant.pk)]


@cache
def _json_converters(model: Any) -> dict[str, Any]:
    """Field name → function from its JSON value back to the Python type, per model."""
    out: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if isinstance(f, DateTimeField):
            out[f.name] = datetime.fromisoformat
        elif isinstance(f, DateField):
            out[f.name] = date.fromisoformat
        elif isinstance(f, DecimalField):
            out[f.name] = lambda value: Decimal(str(value))
    return out


def _from_json(model: Any, row: dict[str, Any]) -> dict[str, Any]:
    """JSON gives dates and decimals as text/float: back to Python types."""
    converters = _json_converters(model)
    for name, value in row.items():
        if value is not None and name in converters:
            row[name] = converters[name](value)
    return row


def _sort_key(order: str) -> Any:
    return lambda row: (row[order] is None, row[order] or 0, row["id"])


@dataclass
class Course:
    """What is stored about one participant, loaded once."""

    participant: Any
    randomized_at: datetime | None
    kit_codes: list[str]
    rows: dict[str, list[dict[str, Any]]]  # form code (CrfDefinition.code) → rows
    locked: bool = False  # a database or casebook lock is in force (set by the page)

    @property
    def d0(self) -> date | None:
        return d0_from_randomized_at(self.randomized_at) if self.randomized_at else None

    def one(self, kind: str) -> dict[str, Any] | None:
        rows = self.rows.get(kind) or []
        return rows[0] if rows else None

    @property
    def stays(self) -> list[dict[str, Any]]:
        return self.rows["ICU_DISCHARGE"]

    @property
    def infections(self) -> list[dict[str, Any]]:
        return self.rows["INFECTION"]

    @property
    def adverse_events(self) -> list[dict[str, Any]]:
        return self.rows["ADVERSE_EVENT"]

    @property
    def medications(self) -> list[dict[str, Any]]:
        return self.rows["CONCOMITANT_MEDICATION"]

    @property
    def deviations(self) -> list[dict[str, Any]]:
        return self.rows["PROTOCOL_DEVIATION"]


def load_course(
    participant: Any,
    user: User,
    *,
    kit_codes: bool = True,
    definitions: tuple[CrfDefinition, ...] = DEFINITIONS,
) -> Course:
    """Everything of the participant page in 3 queries (2 without kit codes); only the
    rows of `definitions` (the others stay empty), e.g. CLINICAL_STATE_DEFINITIONS when
    only `clinical_state` is wanted."""
    from randomization.selectors import kit_codes_for, randomized_at

    rows = _empty_rows()
    for _pid, code, data in _participant_rows(participant, user, definitions):
        rows[code].append(_from_json(_MODEL_OF[code], data))
    _sort(rows)
    return Course(
        participant=participant,
        randomized_at=randomized_at(participant),
        kit_codes=sorted(kit_codes_for(participant)) if kit_codes else [],
        rows=rows,
    )


_MODEL_OF = {d.code: d.model for d in DEFINITIONS}


def _empty_rows() -> dict[str, list[dict[str, Any]]]:
    return {d.code: [] for d in DEFINITIONS}


def _sort(rows: dict[str, list[dict[str, Any]]]) -> None:
    for definition in DEFINITIONS:
        if definition.timeline_order:
            rows[definition.code].sort(key=_sort_key(definition.timeline_order))


# What the schedule reads: the forms it expects and the records of the clinical state
# (death), not the repeating logs (infections, AEs, medications, deviations), which are
# never expected; the work lists load only these (ADR 0028).
SCHEDULE_DEFINITIONS: tuple[CrfDefinition, ...] = tuple(
    d
    for d in DEFINITIONS
    if d.code == "DEATH"
    or any(VISITS_BY_CODE[code].kind is not VisitKind.LOG for code in d.schedule_codes)
)


DAILY = by_schedule_code("DAILY")

# What `clinical_state` reads: the ICU stays, death, end of study and hospital discharge.
# The flowsheet needs only these to know its ICU days: compiling and reading the other
# forms (the daily rows above all) was a third of its time (issue #13).
CLINICAL_STATE_DEFINITIONS: tuple[CrfDefinition, ...] = tuple(
    d
    for d in DEFINITIONS
    if d.code in {"ICU_DISCHARGE", "DEATH", "END_OF_STUDY", "HOSPITAL_DISCHARGE"}
)


def load_courses(participants: QuerySet[Any], user: User) -> list[Course]:
    """The schedule part of the courses of every randomized participant of `participants`
    in 4 queries whatever their number (the home page's work lists, issue #11): the forms
    the schedule expects and the death record, no log, no kit codes."""
    from randomization.models import Allocation

    people = {p.pk: p for p in participants.filter(allocation__isnull=False).order_by("code")}
    randomized = dict(
        Allocation.objects.filter(participant__in=list(people)).values_list(
            "participant_id", "randomized_at"
        )
    )
    rows = {pk: _empty_rows() for pk in people}
    if people:
        # The daily forms (most rows) in a plain query of their own: no JSON to parse.
        union = tuple(d for d in SCHEDULE_DEFINITIONS if d.code != DAILY.code)
        for pid, code, data in _rows_query(list(people), user, union):
            rows[pid][code].append(_from_json(_MODEL_OF[code], data))
        if DAILY in SCHEDULE_DEFINITIONS:
            daily: Any = DAILY.model.objects.visible_to(user).current()
            for row in daily.filter(participant__in=list(people)).values(
                "participant_id", *DAILY.timeline_fields
            ):
                rows[row.pop("participant_id")][DAILY.code].append(row)
    for by_kind in rows.values():
        _sort(by_kind)
    return [
        Course(participant=p, randomized_at=randomized.get(pk), kit_codes=[], rows=rows[pk])
        for pk, p in people.items()
    ]


def clinical_state(course: Course) -> ClinicalState | None:
    """The schedule's view of the stored course (None before randomization)."""
    d0 = course.d0
    if d0 is None:
        return None
    stays = [
        (
            paris_date(s["admitted_at"]),
            paris_date(s["discharged_at"]) if s["discharged_at"] else None,
        )
        for s in course.stays
    ]
    if not stays:
        # No ICU stay recorded yet: in the ICU since randomization (as the daily grid does).
        stays = [(d0, None)]
    death = course.one("DEATH")
    eos = course.one("END_OF_STUDY")
    hospital = course.one("HOSPITAL_DISCHARGE")
    return ClinicalState(
        d0=d0,
        icu_stays=stays,
        death_date=death["death_date"] if death else None,
        end_of_study_date=eos["end_date"] if eos else None,
        end_of_study_reason=eos["end_status"] if eos else None,
        hospital_discharge_date=hospital["discharge_date"] if hospital else None,
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
    url: str = ""  # set by the view: where the form opens ("" = status only)

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


def _stored_row(course: Course, form: ExpectedForm) -> dict[str, Any] | None:
    """The stored row that completes an expected form, if any."""
    if form.code.startswith("INJ"):
        number = int(form.code.removeprefix("INJ"))
        return next((r for r in course.rows["INJ"] if r["number"] == number), None)
    if form.code.startswith("FU_"):
        return next((r for r in course.rows["FU"] if r["visit"] == form.code), None)
    if form.code == "DAILY":
        return None  # matched by date in build_timeline (dict lookup, many rows)
    if form.code == "ICU_DISCHARGE":
        # Stays in admission order; the discharge form of a stay is done once the
        # discharge (or "still in the ICU at D90") is recorded on its row.
        stays = sorted(course.stays, key=lambda s: s["admitted_at"])
        position = (form.occurrence or 1) - 1
        return stays[position] if position < len(stays) else None
    return course.one(form.code)


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


def _item(code: str, target: date, d0: date, status: str, **extra: Any) -> Item:
    return Item(
        code=code,
        label=_(VISITS_BY_CODE[code].label),
        study_day=study_day(d0, target),
        target_date=target,
        status=status,
        slug=by_schedule_code(code).slug,
        query=_query_for(code, target),
        **extra,
    )


def _matching_row(
    course: Course, form: ExpectedForm, daily: dict[date, dict[str, Any]]
) -> dict[str, Any] | None:
    return daily.get(form.target_date) if form.code == "DAILY" else _stored_row(course, form)


def _completes(form: ExpectedForm, row: dict[str, Any]) -> bool:
    """A stored row takes the form's place (its own status), except an ICU stay whose
    discharge (or "still in the ICU at D90") is not recorded yet."""
    return form.code != "ICU_DISCHARGE" or (
        row["discharged_at"] is not None or bool(row["ongoing_at_d90"])
    )


def forms_still_expected(course: Course, today: date) -> list[Item]:
    """The expected forms that are due or overdue and that no stored row completes, as
    build_timeline shows them, without building the rest of the timeline (the home
    page's work lists, ADR 0028): the same schedule, the same matching."""
    state = clinical_state(course)
    if state is None:
        return []
    daily = {row["day_date"]: row for row in course.rows["DAILY"]}
    items = []
    for form in expected_forms(state, today):
        if form.status == FormStatus.NOT_DUE:
            continue
        row = _matching_row(course, form, daily)
        if row is not None and _completes(form, row):
            continue
        item = _item(
            form.code,
            form.target_date,
            state.d0,
            str(form.status),
            occurrence=form.occurrence,
            window=(form.window_start, form.window_end),
            row_id=row["id"] if row is not None else None,
        )
        item.study_day = form.study_day
        items.append(item)
    return items


def build_timeline(course: Course, today: date) -> Timeline | None:
    """Expected forms with their statuses, grouped by study day (pure, no query)."""
    state = clinical_state(course)
    if state is None:
        return None
    d0 = state.d0
    locked = course.locked
    daily = {row["day_date"]: row for row in course.rows["DAILY"]}
    items: list[Item] = []
    used: set[tuple[str, int]] = set()
    for form in expected_forms(state, today):
        item = _item(
            form.code,
            form.target_date,
            d0,
            str(form.status),
            occurrence=form.occurrence,
            window=(form.window_start, form.window_end),
        )
        item.study_day = form.study_day
        row = _matching_row(course, form, daily)
        if row is not None:
            item.row_id = row["id"]
            used.add((form.code, row["id"]))
            if _completes(form, row):
                item.status = _stored_status(row["status"], locked)
        items.append(item)
    items += _unexpected(course, d0, used, locked)

    icu_dates = {i.target_date for i in items if i.code == "DAILY"}
    last = max([LAST_STUDY_DAY, *(i.study_day for i in items)])
    today_day = study_day(d0, today)
    grouped: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.study_day].append(item)
    days = []
    for n in sorted(set(grouped) | ({today_day} if 0 <= today_day <= last else set())):
        on = study_date(d0, n)
        days.append(
            Day(
                study_day=n,
                date=on,
                items=grouped.get(n, []),
                in_icu=on in icu_dates,
                is_today=n == today_day,
            )
        )
    return Timeline(d0=d0, today=today, today_day=today_day, days=days)


def _unexpected(course: Course, d0: date, used: set[tuple[str, int]], locked: bool) -> list[Item]:
    """Stored forms the schedule does not (or no longer) expect, e.g. a daily form outside
    the ICU stays as now recorded: they still show, on their own day."""
    found: list[tuple[str, date, dict[str, Any]]] = []
    for row in course.rows["DAILY"]:
        found.append(("DAILY", row["day_date"], row))
    for row in course.rows["INJ"]:
        day = row["study_day"] if row["study_day"] is not None else 2 * row["number"] - 1
        found.append((f"INJ{row['number']}", study_date(d0, day), row))
    for row in course.rows["FU"]:
        day = row["study_day"] or VISITS_BY_CODE[row["visit"]].target_day or 0
        found.append((row["visit"], study_date(d0, day), row))
    for kind in ("BASELINE", "D10_BIOLOGY"):
        for row in course.rows[kind]:
            found.append(
                (
                    kind,
                    study_date(d0, row.get("study_day") or (VISITS_BY_CODE[kind].target_day or 0)),
                    row,
                )
            )
    return [
        _item(code, target, d0, _stored_status(row["status"], locked), row_id=row["id"])
        for code, target, row in found
        if (code, row["id"]) not in used
    ]


def derived_outcomes(course: Course) -> dict[str, Any]:
    """The participant's derived outcomes so far (crf.outcomes over the loaded rows)."""
    from crf import outcomes

    d0, t_r = course.d0, course.randomized_at
    if d0 is None or t_r is None:
        return {}
    death = course.one("DEATH")
    death_date = death["death_date"] if death else None
    stays = [outcomes.IcuStayTimes(s["admitted_at"], s["discharged_at"]) for s in course.stays]
    los = outcomes.icu_length_of_stay(stays, t_r) if stays else None
    if any(s["vital_status"] == "DEAD" for s in course.stays):
        icu_death: bool | None = True
    elif stays and all(s.discharged_at is not None for s in stays):
        icu_death = False
    else:
        icu_death = None
    # Known alive: the last day a stored daily form or an "alive" follow-up describes.
    alive_days = [r["study_day"] for r in course.rows["DAILY"]]
    alive_days += [
        r["study_day"]
        for r in course.rows["FU"]
        if r["vital_status"] == "ALIVE" and r["study_day"] is not None
    ]
    survival = outcomes.Survival(
        death_day=study_day(d0, death_date) if death_date else None,
        last_known_alive_day=max(alive_days) if alive_days else None,
    )
    mv_days = [r["study_day"] for r in course.rows["DAILY"] if r["imv"]]
    last_alive = study_date(d0, max(alive_days)) if alive_days else None
    resources = outcomes.resource_days(
        (r["study_day"], r["imv"], r["rrt"], r["vasopressor"], r["antimicrobial"])
        for r in course.rows["DAILY"]
    )
    return {
        "injections_given": sum(1 for r in course.rows["INJ"] if r["given"]),
        "icu_los_days": los.calendar_days_after_randomization if los else None,
        "icu_death": icu_death,
        "d90_death": outcomes.d90_mortality(d0, death_date=death_date, last_known_alive=last_alive),
        "infections_by_d90": outcomes.secondary_infection_count(
            [i["onset_date"] for i in course.infections if i["onset_date"]], t_r
        ),
        "ventilator_free_days_28": outcomes.ventilator_free_days(mv_days, 28, survival),
        "imv_days": resources.imv_days,
        "rrt_days": resources.rrt_days,
        "vasopressor_days": resources.vasopressor_days,
        "antibiotic_days": resources.antibiotic_days,
        "death_date": death_date,
    }


def summary(course: Course, timeline: Timeline | None) -> dict[str, Any]:
    """Counts for the header: forms by status, logs, SAEs (from what is loaded)."""
    counts: dict[str, int] = defaultdict(int)
    for item in timeline.items if timeline else []:
        counts[item.status] += 1
    return {
        "by_status": [
            (code, STATUS_LABELS[code], counts[code]) for code in STATUS_LABELS if counts[code]
        ],
        "infections": len(course.infections),
        "adverse_events": len(course.adverse_events),
        "saes": sum(1 for ae in course.adverse_events if ae["serious"]),
    }
