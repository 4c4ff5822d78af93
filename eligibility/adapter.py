"""Stored screening values → the engine's Case, through the same §6 dict as the command.

The web form and `evaluate_eligibility` share one code path: this module builds the
protocol.md §6 JSON shape from model-field dicts and hands it to `eligibility.case.parse_case`
(hard limits, soft limits, time checks) and `eligibility.engine.evaluate`. A few CRF-only
checks the JSON interface has no field for (screening in the future, hospital admission after
ICU admission) are added here, in the same CaseInputError / SoftLimitWarning form.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from eligibility.case import (
    CaseInputError,
    ExclusionAnswers,
    SoftLimitWarning,
    parse_case_with_warnings,
)
from eligibility.criteria import CRITERIA_BY_CODE, INCLUSION_QUESTIONS, gettext_noop
from eligibility.engine import EligibilityResult, evaluate
from eligibility.models import ApacheIIValues
from platinium.lib.compiled import PLACEHOLDER, CompiledQuery, compile_query
from platinium.lib.study_time import paris_date

# Every exclusion answer of the §6 JSON, including E13's and E19's supporting questions.
EXCLUSION_KEYS = tuple(ExclusionAnswers.__dataclass_fields__)

# crf-spec.md §2.1: hospital admission more than 60 days before ICU admission is implausible.
HOSPITAL_BEFORE_ICU_SOFT_DAYS = 60

HEADER_FIELDS = (
    "age",
    "sex",
    "weight_kg",
    "hospital_admission_date",
    "icu_admission",
    "evaluated_at",
    "contraception_agreement",
    "corticosteroids_given",
    *INCLUSION_QUESTIONS.values(),
    *EXCLUSION_KEYS,
)
SOFA_FIELDS = (
    "icu_day",
    "pao2",
    "pao2_unit",
    "fio2",
    "respiratory_support",
    "platelets_g_l",
    "bilirubin",
    "bilirubin_unit",
    "map_mmhg",
    "dopamine_ug_kg_min",
    "dobutamine_ug_kg_min",
    "epinephrine_ug_kg_min",
    "norepinephrine_ug_kg_min",
    "gcs",
    "creatinine",
    "creatinine_unit",
    "urine_output_ml_24h",
    "respiratory_failure_due_to_neurological_failure",
)
MHLA_DR_FIELDS = ("ab_per_cell", "sampled_at", "laboratory")
LYMPHOCYTE_FIELDS = ("value", "unit", "sampled_at")
COURSE_FIELDS = ("drug", "daily_dose_mg", "duration_days")
APACHE_FIELDS = (
    "temperature_c",
    "map_mmhg",
    "heart_rate",
    "respiratory_rate",
    "fio2",
    "pao2",
    "pao2_unit",
    "paco2",
    "paco2_unit",
    "arterial_ph",
    "sodium_mmol_l",
    "potassium_mmol_l",
    "creatinine",
    "creatinine_unit",
    "acute_renal_failure",
    "hematocrit_pct",
    "wbc_g_l",
    "gcs",
    "chronic_health",
)
LAB_FIELDS = (
    "platelets_g_l",
    "ast_u_l",
    "ast_uln",
    "alt_u_l",
    "alt_uln",
    "lipase_u_l",
    "lipase_uln",
    "amylase_u_l",
    "amylase_uln",
    "creatinine",
    "creatinine_unit",
)

# Model field (value with a unit field) → §6 key per unit.
_UNIT_KEYS = {
    "pao2": {"mmHg": "pao2_mmhg", "kPa": "pao2_kpa"},
    "paco2": {"mmHg": "paco2_mmhg", "kPa": "paco2_kpa"},
    "bilirubin": {"umol/L": "bilirubin_umol_l", "mg/dL": "bilirubin_mg_dl"},
    "creatinine": {"umol/L": "creatinine_umol_l", "mg/dL": "creatinine_mg_dl"},
}
# §6 key → model field, for mapping an error back to the form field.
_KEY_TO_FIELD = {key: name for name, keys in _UNIT_KEYS.items() for key in keys.values()}
_KEY_TO_FIELD["pao2_fio2"] = "pao2"
_SECTIONS = {
    "sofa": "sofa",
    "mhla_dr": "mhla_dr",
    "lymphocytes": "lymphocytes",
    "apache_ii": "apache_ii",
    "labs": "labs",
    "corticosteroids": "corticosteroids",
    "inclusion": "screening",
    "exclusions": "screening",
}


@dataclass
class ScreeningData:
    """Model-field values of one screening and its rows (stored or just typed in a form)."""

    header: dict[str, Any] = field(default_factory=dict)
    sofa: list[dict[str, Any]] = field(default_factory=list)
    mhla_dr: list[dict[str, Any]] = field(default_factory=list)
    lymphocytes: list[dict[str, Any]] = field(default_factory=list)
    apache_ii: dict[str, Any] = field(default_factory=dict)
    labs: dict[str, Any] = field(default_factory=dict)
    corticosteroids: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class FieldMessage:
    """A refusal or a warning, translated, located at a form field."""

    path: str  # the §6 dotted path (`sofa[0].fio2`)
    section: str  # screening, sofa, mhla_dr, lymphocytes, apache_ii, labs, corticosteroids
    index: int | None  # row of a repeating section
    field: str  # model field name ("" when the whole row or section)
    message: str
    msgid: str
    params: dict[str, str]

    def as_flag(self) -> dict[str, Any]:
        return {"field": self.path, "msgid": self.msgid, "params": self.params}


# Protocol I4 counts samples at or before the evaluation time; a later one stays in the file.
NOT_COUNTED = gettext_noop("Sampled after the evaluation time: kept, but not used for I4")


@dataclass
class Evaluation:
    result: EligibilityResult | None
    errors: list[FieldMessage]
    warnings: list[FieldMessage]

    @property
    def not_counted(self) -> list[FieldMessage]:
        """The samples the checklist shows "not counted" (taken after the evaluation time)."""
        if self.result is None:
            return []
        return [_message(path, NOT_COUNTED, {}) for path in self.result.not_counted]


def _values(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def rows_queries(screening_id: Any) -> dict[str, QuerySet[Any]]:
    """The reads of a screening's rows as the ORM writes them (current rows only, in each
    model's order): one values_list per section, the row id first for the repeating ones."""
    from eligibility.models import (
        CorticosteroidCourse,
        LymphocyteCount,
        MhlaDrResult,
        ScreeningLabs,
        SofaDay,
    )

    mine = {"screening_id": screening_id}
    return {
        "apache_ii": ApacheIIValues.objects.filter(**mine).values_list(*APACHE_FIELDS),
        "labs": ScreeningLabs.objects.filter(**mine).values_list(*LAB_FIELDS),
        "sofa": SofaDay.objects.current().filter(**mine).values_list("pk", *SOFA_FIELDS),
        "mhla_dr": MhlaDrResult.objects.current().filter(**mine).values_list("pk", *MHLA_DR_FIELDS),
        "lymphocytes": LymphocyteCount.objects.current()
        .filter(**mine)
        .values_list("pk", *LYMPHOCYTE_FIELDS),
        "corticosteroids": CorticosteroidCourse.objects.current()
        .filter(**mine)
        .values_list("pk", *COURSE_FIELDS),
    }


@functools.cache
def _compiled_rows() -> dict[str, CompiledQuery]:
    # Read on every screening save, enrolment and randomization: each read compiled once
    # per process and prepared (ADR 0045).
    return {name: compile_query(qs) for name, qs in rows_queries(PLACEHOLDER).items()}


def data_from_screening(screening: Any) -> ScreeningData:
    """The stored values of a screening (current rows only); the header from `screening`
    itself, its rows from the database (six prepared reads)."""
    found = {name: query.rows(screening.pk) for name, query in _compiled_rows().items()}

    def one(name: str, names: tuple[str, ...]) -> dict[str, Any]:
        return dict(zip(names, found[name][0], strict=True)) if found[name] else {}

    def many(name: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
        return [dict(zip(("id", *names), row, strict=True)) for row in found[name]]

    return ScreeningData(
        header=_values(screening, HEADER_FIELDS),
        sofa=many("sofa", SOFA_FIELDS),
        mhla_dr=many("mhla_dr", MHLA_DR_FIELDS),
        lymphocytes=many("lymphocytes", LYMPHOCYTE_FIELDS),
        apache_ii=one("apache_ii", APACHE_FIELDS),
        labs=one("labs", LAB_FIELDS),
        corticosteroids=many("corticosteroids", COURSE_FIELDS),
    )


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _measures(row: dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """Copy row values to §6 keys, routing a value with a unit to the key of its unit."""
    out: dict[str, Any] = {}
    for name in names:
        if name.endswith("_unit") or name in ("id", "icu_day", "laboratory"):
            continue
        value = row.get(name)
        if name in _UNIT_KEYS:
            unit = row.get(f"{name}_unit") or next(iter(_UNIT_KEYS[name]))
            key = _UNIT_KEYS[name].get(unit, next(iter(_UNIT_KEYS[name].values())))
            if not _blank(value):
                out[key] = value
            continue
        out[name] = None if _blank(value) else value
    return out


def _sofa_date(icu_admission: datetime | None, icu_day: Any) -> Any:
    if icu_admission is None or _blank(icu_day):
        return None
    return (paris_date(icu_admission) + timedelta(days=int(icu_day) - 1)).isoformat()


def to_case_dict(data: ScreeningData, case_id: str | None = None) -> dict[str, Any]:
    """The protocol.md §6 input object of a screening."""
    h = data.header
    contraception = h.get("contraception_agreement") or None
    if contraception in ("yes", "no"):
        contraception = contraception == "yes"
    given = h.get("corticosteroids_given")
    courses: list[dict[str, Any]] | None = None
    if given is False:
        courses = []
    elif given is True and data.corticosteroids:
        courses = [_measures(row, COURSE_FIELDS) for row in data.corticosteroids]
    apache = _measures(data.apache_ii, APACHE_FIELDS)
    return {
        "case_id": case_id,
        "age": h.get("age"),
        "sex": h.get("sex") or None,
        "weight_kg": h.get("weight_kg"),
        "icu_admission": h.get("icu_admission"),
        "evaluated_at": h.get("evaluated_at"),
        "inclusion": {
            **{key: h.get(key) for key in INCLUSION_QUESTIONS.values()},
            "contraception_agreement": contraception,
        },
        "sofa": [
            {
                "date": _sofa_date(h.get("icu_admission"), row.get("icu_day")),
                **_measures(row, SOFA_FIELDS),
            }
            for row in data.sofa
        ],
        "mhla_dr": [_measures(row, MHLA_DR_FIELDS) for row in data.mhla_dr],
        "lymphocytes": [_measures(row, LYMPHOCYTE_FIELDS) for row in data.lymphocytes],
        "apache_ii": {k: v for k, v in apache.items() if k != "chronic_health"}
        | {"chronic_health": data.apache_ii.get("chronic_health") or None},
        "labs": _measures(data.labs, LAB_FIELDS),
        "corticosteroids": courses,
        "exclusions": {key: h.get(key) for key in EXCLUSION_KEYS},
    }


# ---------------------------------------------------------------------------------------------
# Errors and warnings located at form fields

_TOKEN = re.compile(r"([a-z0-9_]+)(?:\[(\d+)\])?")


def locate(path: str) -> tuple[str, int | None, str]:
    """`sofa[2].fio2` → ("sofa", 2, "fio2"); `evaluated_at` → ("screening", None, ...)."""
    tokens = [_TOKEN.fullmatch(part) for part in path.split(".") if part]
    parts = [(m.group(1), None if m.group(2) is None else int(m.group(2))) for m in tokens if m]
    if not parts:
        return "screening", None, ""
    head, index = parts[0]
    if head in _SECTIONS:
        section = _SECTIONS[head]
        if section == "screening":
            index = None
        name = parts[1][0] if len(parts) > 1 else ""
        return section, index, _KEY_TO_FIELD.get(name, name)
    return "screening", None, _KEY_TO_FIELD.get(head, head)


def translate(msgid: str, params: dict[str, str]) -> str:
    # Unit-less limits (GCS, pH) leave a double space in the engine's message: collapse it.
    return " ".join(gettext(msgid).format(**params).split())


def _message(path: str, msgid: str, params: dict[str, str]) -> FieldMessage:
    section, index, name = locate(path)
    return FieldMessage(path, section, index, name, translate(msgid, params), msgid, params)


def error_message(error: CaseInputError) -> FieldMessage:
    return _message(error.field, error.msgid, error.params)


def warning_message(warning: SoftLimitWarning) -> FieldMessage:
    return _message(warning.field, warning.msgid, warning.params)


def crf_checks(data: ScreeningData, now: datetime | None = None) -> list[SoftLimitWarning]:
    """CRF §2.1 checks outside the §6 interface; hard ones raise CaseInputError."""
    h = data.header
    now = now or timezone.now()
    warnings: list[SoftLimitWarning] = []
    evaluated_at, icu_admission = h.get("evaluated_at"), h.get("icu_admission")
    if evaluated_at is not None and evaluated_at > now:
        raise CaseInputError("evaluated_at", gettext_noop("The screening time is in the future"))
    hospital = h.get("hospital_admission_date")
    if hospital is not None and icu_admission is not None:
        icu_date = paris_date(icu_admission)
        if hospital > icu_date:
            raise CaseInputError(
                "hospital_admission_date",
                gettext_noop("The hospital admission is after the ICU admission"),
            )
        if (icu_date - hospital).days > HOSPITAL_BEFORE_ICU_SOFT_DAYS:
            warnings.append(
                SoftLimitWarning(
                    "hospital_admission_date",
                    gettext_noop(
                        "Hospital admission more than {days} days before ICU admission: check it"
                    ),
                    {"days": str(HOSPITAL_BEFORE_ICU_SOFT_DAYS)},
                )
            )
    days = [row.get("icu_day") for row in data.sofa if not _blank(row.get("icu_day"))]
    for index, day in enumerate(days):
        if day in days[:index]:
            raise CaseInputError(
                f"sofa[{index}].icu_day", gettext_noop("This ICU day is already entered")
            )
    return warnings


def evaluate_data(
    data: ScreeningData, case_id: str | None = None
) -> tuple[EligibilityResult, list[FieldMessage]]:
    """Strict: CaseInputError on the first impossible value (used when saving)."""
    crf_warnings = crf_checks(data)
    case, warnings = parse_case_with_warnings(to_case_dict(data, case_id))
    all_warnings = [*crf_warnings, *warnings]
    result = evaluate(case, tuple(all_warnings))
    return result, [warning_message(w) for w in all_warnings]


def _drop(case: dict[str, Any], path: str) -> bool:
    """Remove the value at `path` (or its row) so the rest can still be evaluated."""
    tokens = [_TOKEN.fullmatch(part) for part in path.split(".") if part]
    node: Any = case
    parts = [(m.group(1), m.group(2)) for m in tokens if m]
    for depth, (name, index) in enumerate(parts):
        last = depth == len(parts) - 1
        if not isinstance(node, dict) or name not in node:
            return False
        if index is None:
            if last:
                if node[name] is None:
                    return False
                node[name] = None
                return True
            node = node[name]
        else:
            items = node[name]
            i = int(index)
            if not isinstance(items, list) or i >= len(items):
                return False
            if last:
                del items[i]
                return True
            node = items[i]
    return False


def preview(data: ScreeningData) -> Evaluation:
    """Lenient, for the live checklist: impossible values are reported and left out."""
    errors: list[FieldMessage] = []
    warnings: list[SoftLimitWarning] = []
    try:
        warnings.extend(crf_checks(data))
    except CaseInputError as error:
        errors.append(error_message(error))
    case_dict = to_case_dict(data)
    for _attempt in range(40):
        try:
            case, parsed_warnings = parse_case_with_warnings(case_dict)
        except CaseInputError as error:
            errors.append(error_message(error))
            if not _drop(case_dict, error.field):
                # The value is fine alone but conflicts with its row: leave the row out.
                parent = error.field.rsplit(".", 1)[0] if "." in error.field else ""
                if not parent or not _drop(case_dict, parent):
                    return Evaluation(None, errors, [warning_message(w) for w in warnings])
            continue
        all_warnings = [*warnings, *parsed_warnings]
        result = evaluate(case, tuple(all_warnings))
        return Evaluation(result, errors, [warning_message(w) for w in all_warnings])
    return Evaluation(None, errors, [warning_message(w) for w in warnings])


def criterion_rows(result: EligibilityResult) -> list[dict[str, Any]]:
    """Checklist rows: code, label, status, explanation (all translated)."""
    return [
        {
            "code": r.code,
            "kind": CRITERIA_BY_CODE[r.code].kind,
            "label": gettext(CRITERIA_BY_CODE[r.code].label),
            "status": r.status,
            "explanation": translate(r.msgid, _readable_params(r.params)),
        }
        for r in result.criteria
    ]


def _readable_params(params: dict[str, str]) -> dict[str, str]:
    """The engine names missing APACHE II variables by column: show their labels."""
    if "missing" not in params:
        return params
    names = [n.strip() for n in params["missing"].split(",") if n.strip()]
    return {**params, "missing": ", ".join(apache_label(n) for n in names)}


# APACHE II physiology variables whose name is not a column of the form.
APACHE_LABELS = {
    "oxygenation": _("oxygenation (PaO₂ or A–aDO₂)"),
    "creatinine_umol_l": _("creatinine"),
    "age": _("age"),
}


def apache_label(variable: str) -> str:
    """The variable as the form labels it (capitalised), never its column name."""
    if variable in APACHE_LABELS:
        return capfirst(str(APACHE_LABELS[variable]))
    try:
        field = ApacheIIValues._meta.get_field(variable)
    except FieldDoesNotExist:
        return variable
    return capfirst(str(getattr(field, "verbose_name", variable)))
