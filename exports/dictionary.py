"""The data dictionary: one source of truth for every exported column (ADR 0015).

Built from the models (field labels, choices, types) and from the outcome list below, so
a field added to a CRF model appears in every export format with its labels at once.
The SAS name of a column (≤ 8 characters, unique in its dataset) is derived here and
nowhere else; CSV, Excel, XPT and Stata all read it from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from crf.definitions import DEFINITIONS
from crf.models import (
    CrfStatus,
    D10Biology,
    InfectionMicroorganism,
    QueryOrigin,
    QueryStatus,
    Readmission,
)
from eligibility.models import Screening

STRING, INTEGER, DECIMAL, BOOLEAN, DATE, DATETIME, TIME, LIST = (
    "string",
    "integer",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "time",
    "list",
)

# Model fields never exported: bookkeeping, people (staff names are not analysis data) and
# the entered-in-error trail (voided rows are not exported at all).
EXCLUDED_FIELDS = frozenset(
    {
        "id",
        "participant",
        "status",
        "version",
        "updated_at",
        "updated_by",
        "created_at",
        "created_by",
        "entered_in_error_at",
        "entered_in_error_by",
        "entered_in_error_reason",
        "acknowledged_by",
        "recorded_by",
        "site",
        "seq",
        "soft_limit_flags",
        "entered_in_error",
    }
)

# Standard-unit suffixes of field names (crf/units.py: the stored standard copies).
UNIT_SUFFIXES = (
    ("_ug_kg_min", "µg/kg/min"),
    ("_umol_l", "µmol/L"),
    ("_g_l", "G/L"),
    ("_mmhg", "mmHg"),
    ("_kg", "kg"),
    ("_cm", "cm"),
    ("_ml", "mL"),
    ("_max_c", "°C"),
    ("_abc", "AB/C"),
)


@dataclass(frozen=True)
class Choice:
    value: Any  # stored code (text), or 1/0 for a boolean
    number: int  # numeric code in Stata (value labels need integers)
    label: Any  # lazy translation


@dataclass(frozen=True)
class Variable:
    name: str
    label: Any  # lazy translation: label_fr / label_en below
    type: str
    sas_name: str = ""
    unit: str = ""
    choices: tuple[Choice, ...] = ()
    # Day-10 biology results and what is computed from them (crf/blinding.py): unblinded only.
    restricted: bool = False
    # The model field the value comes from ("" for computed columns).
    source: str = ""

    def label_in(self, language: str) -> str:
        with translation.override(language):
            return str(self.label)

    def choice_labels(self, language: str) -> dict[Any, str]:
        with translation.override(language):
            return {choice.value: str(choice.label) for choice in self.choices}


@dataclass(frozen=True)
class DatasetSpec:
    name: str  # file / sheet name
    sas_name: str
    label: Any
    form: str  # FORM_CODE of the CRF model, "SCREENING" or "OUTCOMES"
    variables: tuple[Variable, ...] = field(default_factory=tuple)
    # Columns that identify a row within a participant (the ODM ItemGroupRepeatKey).
    key: tuple[str, ...] = ("record_id",)

    def columns(self, *, blinded: bool) -> tuple[Variable, ...]:
        return tuple(v for v in self.variables if not (blinded and v.restricted))

    def label_in(self, language: str) -> str:
        with translation.override(language):
            return str(self.label)


YES_NO = (Choice(1, 1, _("Yes")), Choice(0, 0, _("No")))

SAS_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,7}$")


def sas_names(names: list[str], fixed: dict[str, str] | None = None) -> list[str]:
    """≤ 8 characters, upper case, unique in the list, stable for a given field order.

    Short names are kept; long ones keep the start of each word (FIO2_UNIT → FIO2UNIT);
    a clash gets a numeric suffix.
    """
    fixed = fixed or {}
    taken: set[str] = set()
    out = []
    for name in names:
        candidate = fixed.get(name) or _abbreviate(name)
        if candidate in taken:
            stem, n = candidate[:6], 1
            while f"{stem}{n}" in taken:
                n += 1
                stem = candidate[: 8 - len(str(n))]
            candidate = f"{stem}{n}"
        taken.add(candidate)
        out.append(candidate)
    return out


def _abbreviate(name: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9_]", "_", name).upper()
    if clean[:1].isdigit():
        clean = "_" + clean
    if len(clean) <= 8:
        return clean
    words = [w for w in clean.split("_") if w]
    if len(words) > 8:
        return "".join(w[0] for w in words)[:8]
    # Each later word keeps its start, the first word takes what they leave:
    # RESPIRATORY_SUPPORT → RESPSUPP, HEPATITIS_C → HEPATITC.
    rest = [w[: 8 // len(words)] for w in words[1:]]
    return words[0][: 8 - sum(len(r) for r in rest)] + "".join(rest)


def _type_of(f: models.Field) -> str:
    if isinstance(f, ArrayField):
        return LIST
    if isinstance(f, models.BooleanField):
        return BOOLEAN
    if isinstance(f, models.DecimalField | models.FloatField):
        return DECIMAL
    if isinstance(f, models.IntegerField | models.ForeignKey):
        return INTEGER
    if isinstance(f, models.DateTimeField):
        return DATETIME
    if isinstance(f, models.DateField):
        return DATE
    if isinstance(f, models.TimeField):
        return TIME
    return STRING


def _unit_of(name: str, model: type[models.Model]) -> str:
    if name.endswith("_value"):
        unit_field = name[: -len("_value")] + "_unit"
        if unit_field in {f.name for f in model._meta.concrete_fields}:
            return f"→ {unit_field}"
    if name == "fio2":
        return "fraction"
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return unit
    return ""


def _choices_of(f: models.Field) -> tuple[Choice, ...]:
    base = f.base_field if isinstance(f, ArrayField) else f
    if isinstance(base, models.BooleanField):
        return YES_NO
    return tuple(
        Choice(value, number, label)
        for number, (value, label) in enumerate(base.choices or (), start=1)
    )


def field_variables(
    model: type[models.Model], *, restricted: frozenset[str] = frozenset()
) -> list[Variable]:
    out = []
    for f in model._meta.concrete_fields:
        if f.name in EXCLUDED_FIELDS or isinstance(f, models.OneToOneField):
            continue
        name = f"{f.name}_id" if isinstance(f, models.ForeignKey) else f.name
        out.append(
            Variable(
                name=name,
                label=f.verbose_name,
                type=_type_of(f),
                unit=_unit_of(f.name, model),
                choices=_choices_of(f),
                restricted=f.name in restricted,
                source=f.attname,
            )
        )
    return out


# Columns every CRF dataset starts with: who, where, which form instance, when, status.
def _key_variables() -> list[Variable]:
    return [
        Variable("participant", _("participant code"), STRING, source="participant__code"),
        Variable("site", _("site code"), STRING, source="participant__site__code"),
        Variable("record_id", _("form record identifier"), INTEGER, source="id"),
        Variable("visit", _("visit or form instance"), STRING),
        Variable(
            "form_status",
            _("form status"),
            STRING,
            choices=tuple(
                Choice(v, n, label)
                # Voided forms are not exported: two statuses remain.
                for n, (v, label) in enumerate(
                    (c for c in CrfStatus.choices if c[0] != CrfStatus.ENTERED_IN_ERROR), start=1
                )
            ),
            source="status",
        ),
    ]


SAS_FIXED = {
    "participant": "SUBJID",
    "site": "SITEID",
    "record_id": "RECID",
    "visit": "VISIT",
    "form_status": "FORMSTAT",
    "study_day": "STUDYDAY",
    "infections_by_d90": "INF90",
    "icu_free_days_d28": "ICUFD28",
    "icu_free_days_d90": "ICUFD90",
    "icu_los_days": "ICULOS",
    "icu_los_after_rand_days": "ICULOSR",
    "hospital_los_days": "HOSPLOS",
    "d10_mhla_dr_restored": "D10MHLA",
    "d10_lymphocytes_restored": "D10LYMPH",
    "d10_immune_restoration": "D10IMMUN",
    "randomized_at": "RANDDTC",
    "query_id": "QUERYID",
    "query_status": "QSTATUS",
    "raised_at": "RAISEDTC",
    "answered_at": "ANSWDTC",
    "closed_at": "CLOSEDTC",
    "days_open": "DAYSOPEN",
    "event_id": "EVENTID",
    "field_label_fr": "FLDLABFR",
    "field_label_en": "FLDLABEN",
    "old_value": "OLDVAL",
    "new_value": "NEWVAL",
    "changed_by": "CHGBY",
    "changed_at": "CHGDTC",
}


def _with_sas_names(variables: list[Variable]) -> tuple[Variable, ...]:
    names = sas_names([v.name for v in variables], SAS_FIXED)
    return tuple(
        Variable(**{**v.__dict__, "sas_name": sas}) for v, sas in zip(variables, names, strict=True)
    )


def crf_forms() -> dict[str, tuple[type[models.Model], Any]]:
    """Dataset name → (model, title) of every participant-level CRF model, in the order of
    the participant page; the name is the form's URL slug where it has its own page."""
    return {d.slug.replace("-", "_"): (d.model, d.title) for d in DEFINITIONS}


def crf_dataset(name: str) -> DatasetSpec:
    model, title = crf_forms()[name]
    restricted = frozenset(getattr(model, "BLINDED_FIELDS", ())) if model is D10Biology else None
    keys = _key_variables()
    # A model field named like a key column (the follow-up's `visit`) is the key itself.
    fields = [
        v
        for v in field_variables(model, restricted=restricted or frozenset())
        if v.name not in {k.name for k in keys}
    ]
    return DatasetSpec(
        name=name,
        sas_name=_abbreviate(name),
        label=title,
        form=model.FORM_CODE,
        variables=_with_sas_names(keys + fields),
    )


# Repeated parts of a form, one row each: dataset name → (model, foreign key to the form).
CHILD_FORMS: dict[str, tuple[type[models.Model], str]] = {
    "infection_organism": (InfectionMicroorganism, "infection"),
    "readmission": (Readmission, "follow_up"),
}


def child_dataset(name: str) -> DatasetSpec:
    model, parent = CHILD_FORMS[name]
    keys = [
        Variable(
            "participant", _("participant code"), STRING, source=f"{parent}__participant__code"
        ),
        Variable("site", _("site code"), STRING, source=f"{parent}__participant__site__code"),
        Variable("record_id", _("form record identifier"), INTEGER, source="id"),
    ]
    return DatasetSpec(
        name=name,
        sas_name=_abbreviate(name),
        label=model._meta.verbose_name_plural,
        form=model._meta.get_field(parent).related_model.FORM_CODE,
        variables=_with_sas_names(keys + field_variables(model)),
    )


def screening_dataset() -> DatasetSpec:
    variables = [
        Variable("screening_number", _("screening number"), STRING, source="number"),
        Variable("site", _("site code"), STRING, source="site__code"),
        Variable("participant", _("participant code"), STRING, source="participant__code"),
        Variable(
            "screening_status",
            _("screening status"),
            STRING,
            choices=tuple(
                Choice(v, n, label)
                for n, (v, label) in enumerate(Screening.Status.choices, start=1)
            ),
            source="status",
        ),
    ]
    variables += [v for v in field_variables(Screening) if v.name not in {"number"}]
    return DatasetSpec(
        name="screening",
        sas_name="SCREEN",
        label=_("Screening log"),
        form="SCREENING",
        variables=_with_sas_names(variables),
        key=("screening_number",),
    )


# Participant-level derived outcomes (crf/outcomes.py via crf/derived.py), one row each.
OUTCOME_VARIABLES: tuple[tuple[str, Any, str, str, bool], ...] = (
    # name, label, type, unit, restricted
    ("randomized_at", _("randomisation date and time (T_R)"), DATETIME, "", False),
    ("d90_mortality", _("death on or before D90"), BOOLEAN, "", False),
    ("icu_mortality", _("death in the ICU"), BOOLEAN, "", False),
    ("infections_by_d90", _("secondary infections by D90 (primary endpoint)"), INTEGER, "", False),
    ("vfd_d28", _("ventilator-free days D1–D28"), INTEGER, "days", False),
    ("vfd_d90", _("ventilator-free days D1–D90"), INTEGER, "days", False),
    ("icu_free_days_d28", _("ICU-free days D1–D28"), INTEGER, "days", False),
    ("icu_free_days_d90", _("ICU-free days D1–D90"), INTEGER, "days", False),
    ("icu_los_days", _("ICU length of stay"), DECIMAL, "days", False),
    (
        "icu_los_after_rand_days",
        _("ICU length of stay after randomisation"),
        DECIMAL,
        "days",
        False,
    ),
    ("hospital_los_days", _("hospital length of stay"), INTEGER, "days", False),
    ("injections_given", _("study drug injections given"), INTEGER, "", False),
    ("kits_used", _("study drug kits used"), INTEGER, "", False),
    ("imv_days", _("days with invasive mechanical ventilation"), INTEGER, "days", False),
    ("rrt_days", _("days with renal replacement therapy"), INTEGER, "days", False),
    ("vasopressor_days", _("days with vasopressor"), INTEGER, "days", False),
    ("antibiotic_days", _("days with antimicrobial"), INTEGER, "days", False),
    ("d10_mhla_dr_restored", _("D10 mHLA-DR ≥ 8000 AB/C"), BOOLEAN, "", True),
    ("d10_lymphocytes_restored", _("D10 lymphocytes ≥ 1.0 G/L"), BOOLEAN, "", True),
    ("d10_immune_restoration", _("D10 immune restoration"), BOOLEAN, "", True),
)


# The participant and site columns of the datasets with one row per participant or per
# item that is not a CRF form (outcomes, queries, audit trail, allocation).
def _participant_keys() -> list[Variable]:
    return [
        Variable("participant", _("participant code"), STRING),
        Variable("site", _("site code"), STRING),
    ]


def outcomes_dataset() -> DatasetSpec:
    variables = [
        *_participant_keys(),
        *(
            Variable(
                name,
                label,
                kind,
                unit=unit,
                choices=YES_NO if kind == BOOLEAN else (),
                restricted=restricted,
            )
            for name, label, kind, unit, restricted in OUTCOME_VARIABLES
        ),
    ]
    return DatasetSpec(
        name="outcomes",
        sas_name="OUTCOMES",
        label=_("Derived outcomes per participant"),
        form="OUTCOMES",
        variables=_with_sas_names(variables),
    )


def _choices(choices: list[tuple[str, Any]]) -> tuple[Choice, ...]:
    return tuple(Choice(v, n, label) for n, (v, label) in enumerate(choices, start=1))


def tables() -> dict[str, str]:
    """Model label ("crf.dailyfollowup") → dataset name of every participant-level CRF
    table and repeated part of a form: the `form` of a query, the `table` of a change."""
    out = {model._meta.label_lower: name for name, (model, _title) in crf_forms().items()}
    out |= {model._meta.label_lower: name for name, (model, _parent) in CHILD_FORMS.items()}
    return out


# Data queries (ADR 0013), one row each: where, status and dates, never the thread's text
# (free text typed by people; the last status says where the query stands).
def queries_dataset() -> DatasetSpec:
    variables = [
        *_participant_keys(),
        Variable("query_id", _("query identifier"), INTEGER),
        Variable("form", _("dataset of the queried form"), STRING),
        Variable("record_id", _("form record identifier"), INTEGER),
        Variable("field", _("queried variable"), STRING),
        Variable("query_status", _("query status"), STRING, choices=_choices(QueryStatus.choices)),
        Variable("origin", _("query origin"), STRING, choices=_choices(QueryOrigin.choices)),
        Variable("raised_at", _("date and time raised"), DATETIME),
        Variable("answered_at", _("date and time last answered"), DATETIME),
        Variable("closed_at", _("date and time closed or cancelled"), DATETIME),
        Variable(
            "days_open",
            _("days open (until closed, or until the export)"),
            INTEGER,
            unit="days",
        ),
    ]
    return DatasetSpec(
        name="queries",
        sas_name="QUERIES",
        label=_("Data queries"),
        form="QUERIES",
        variables=_with_sas_names(variables),
        key=("query_id",),
    )


# Field-level audit trail of the CRF tables: the exported columns of each table only, so
# a blinded export has no restricted day-10 result here either.
AUDIT_EVENTS = (("insert", _("created")), ("update", _("changed")))


def audit_trail_dataset() -> DatasetSpec:
    variables = [
        *_participant_keys(),
        Variable("table", _("dataset of the changed record"), STRING),
        Variable("record_id", _("form record identifier"), INTEGER),
        Variable("event_id", _("audit event identifier (within its table)"), INTEGER),
        Variable("event", _("kind of change"), STRING, choices=_choices(list(AUDIT_EVENTS))),
        Variable("field", _("changed variable"), STRING),
        Variable("field_label_fr", _("label of the changed variable (French)"), STRING),
        Variable("field_label_en", _("label of the changed variable (English)"), STRING),
        Variable("old_value", _("value before"), STRING),
        Variable("new_value", _("value after"), STRING),
        Variable("changed_by", _("changed by (user name)"), STRING),
        Variable("changed_at", _("date and time of the change"), DATETIME),
        Variable("reason", _("reason for change"), STRING),
    ]
    return DatasetSpec(
        name="audit_trail",
        sas_name="AUDIT",
        label=_("Audit trail of the case report forms"),
        form="AUDIT_TRAIL",
        variables=_with_sas_names(variables),
        key=("table", "event_id", "field"),
    )


# The arm: in the unblinded export only (roles.md C2), never in the blinded one.
def allocation_dataset() -> DatasetSpec:
    variables = [
        *_participant_keys(),
        Variable("rand_no", _("randomisation number"), STRING),
        Variable("randomized_at", _("randomisation date and time (T_R)"), DATETIME),
        Variable("arm", _("treatment arm"), STRING, restricted=True),
    ]
    return DatasetSpec(
        name="allocation",
        sas_name="ALLOC",
        label=_("Treatment allocation (unblinded)"),
        form="ALLOCATION",
        variables=_with_sas_names(variables),
    )


def all_datasets(*, blinded: bool = True) -> list[DatasetSpec]:
    """Every dataset of an export, in a fixed order."""
    specs = [crf_dataset(name) for name in crf_forms()]
    specs += [child_dataset(name) for name in CHILD_FORMS]
    specs += [screening_dataset(), outcomes_dataset(), queries_dataset(), audit_trail_dataset()]
    if not blinded:
        specs.append(allocation_dataset())
    return specs


# Columns of the dictionary file itself (CSV and Excel sheet).
DICTIONARY_COLUMNS = (
    "dataset",
    "sas_dataset",
    "form",
    "variable",
    "sas_name",
    "label_fr",
    "label_en",
    "type",
    "unit",
    "allowed_values",
)


def dictionary_rows(specs: list[DatasetSpec], *, blinded: bool) -> list[list[str]]:
    rows = []
    for spec in specs:
        for v in spec.columns(blinded=blinded):
            fr, en = v.choice_labels("fr"), v.choice_labels("en")
            allowed = " | ".join(
                f"{c.value} [{c.number}] = {fr[c.value]} / {en[c.value]}" for c in v.choices
            )
            rows.append(
                [
                    spec.name,
                    spec.sas_name,
                    spec.form,
                    v.name,
                    v.sas_name,
                    v.label_in("fr"),
                    v.label_in("en"),
                    v.type,
                    v.unit,
                    allowed,
                ]
            )
    return rows
