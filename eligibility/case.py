"""One screening case: the §6 JSON shape of protocol.md, parsed and validated.

`parse_case` is the single entry point for the management command and the web form (which
builds the same dict from its cleaned data). It refuses impossible input with a
CaseInputError naming the field by its dotted path (`sofa[0].fio2`), converts to the SI units
the engine computes in, and turns every datetime into an aware UTC instant: datetimes without
an offset are Europe/Paris wall-clock times, and a wall-clock time that a DST change skips or
repeats is refused because its instant is unknown. Soft limits never refuse: they come back
as SoftLimitWarning rows from `parse_case_with_warnings`.

A key that is absent or null is missing (protocol.md §6). Unknown keys are refused, so that a
misspelt key is reported rather than read as missing; keys starting with "_" are comments.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, Literal, NamedTuple

from eligibility import limits
from eligibility.criteria import gettext_noop
from eligibility.limits import Limit
from eligibility.scores import (
    CHRONIC_HEALTH_POINTS,
    GLUCOCORTICOID_EQUIVALENT_MG,
    ApacheIIInputs,
    ArterialGas,
    Sex,
    SofaInputs,
)
from eligibility.units import (
    LYMPHOCYTE_UNITS,
    bilirubin_mg_dl_to_umol_l,
    creatinine_mg_dl_to_umol_l,
    lymphocytes_to_per_mm3,
    pao2_kpa_to_mmhg,
    to_decimal,
)
from platinium.lib.study_time import STUDY_TIME_ZONE, paris_date

NOT_APPLICABLE: Final = "not_applicable"


class CaseInputError(ValueError):
    """Impossible input; `field` is the dotted path of the offending key."""

    def __init__(self, field: str, message: str, params: Mapping[str, str] | None = None):
        self.field = field
        self.msgid = message
        self.params = dict(params or {})
        self.message = message.format(**self.params)
        super().__init__(f"{field}: {self.message}" if field else self.message)


class SoftLimitWarning(NamedTuple):
    field: str
    msgid: str
    params: dict[str, str]


@dataclass(frozen=True)
class InclusionAnswers:
    expected_icu_stay_over_10_days: bool | None = None
    consent_obtained: bool | None = None
    social_security_affiliation: bool | None = None
    contraception_agreement: bool | Literal["not_applicable"] | None = None


@dataclass(frozen=True)
class ExclusionAnswers:
    """Investigator answers; True means the situation is present (the exclusion applies)."""

    uncontrolled_secondary_infection: bool | None = None
    other_trial_within_30_days: bool | None = None
    chemo_or_radiotherapy_within_6_weeks: bool | None = None
    autoimmune_disease: bool | None = None
    organ_or_bone_marrow_transplant: bool | None = None
    hematologic_malignancy: bool | None = None
    hepatitis_c: bool | None = None
    hiv_stage_c_within_12_months: bool | None = None
    under_legal_protection: bool | None = None
    tuberculosis: bool | None = None
    chronic_hepatitis_b: bool | None = None
    non_steroid_immunosuppressive_drug: bool | None = None
    traumatic_brain_or_spinal_injury: bool | None = None
    pregnant_or_breastfeeding: bool | None = None
    hypersensitivity_ifn_gamma_excipients_latex: bool | None = None
    suspected_acute_pancreatitis: bool | None = None
    acute_ecg_abnormality: bool | None = None
    consenting_person_unable_to_understand: bool | None = None
    deprived_of_liberty: bool | None = None
    study_team_member_or_relative: bool | None = None


@dataclass(frozen=True)
class SofaAssessment:
    date: date | None  # Europe/Paris calendar date of the assessment
    inputs: SofaInputs


@dataclass(frozen=True)
class MhlaDrSample:
    sampled_at: datetime | None  # aware, UTC
    ab_per_cell: Decimal | None


@dataclass(frozen=True)
class LymphocyteSample:
    sampled_at: datetime | None  # aware, UTC
    value: Decimal | None  # as entered
    unit: str | None  # a key of units.LYMPHOCYTE_UNITS
    per_mm3: Decimal | None  # computed


@dataclass(frozen=True)
class ScreeningLabs:
    """Latest values before the evaluation, SI units."""

    platelets_g_l: Decimal | None = None
    ast_u_l: Decimal | None = None
    ast_uln: Decimal | None = None
    alt_u_l: Decimal | None = None
    alt_uln: Decimal | None = None
    lipase_u_l: Decimal | None = None
    lipase_uln: Decimal | None = None
    amylase_u_l: Decimal | None = None
    amylase_uln: Decimal | None = None
    creatinine_umol_l: Decimal | None = None


@dataclass(frozen=True)
class CorticosteroidCourse:
    drug: str | None  # a key of scores.GLUCOCORTICOID_EQUIVALENT_MG
    daily_dose_mg: Decimal | None
    duration_days: Decimal | None


@dataclass(frozen=True)
class Case:
    case_id: str | int | None = None
    age: int | None = None
    sex: Sex | None = None
    weight_kg: Decimal | None = None
    icu_admission: datetime | None = None  # aware, UTC
    evaluated_at: datetime | None = None  # aware, UTC
    inclusion: InclusionAnswers = field(default_factory=InclusionAnswers)
    sofa: tuple[SofaAssessment, ...] = ()
    mhla_dr: tuple[MhlaDrSample, ...] = ()
    lymphocytes: tuple[LymphocyteSample, ...] = ()
    apache_ii: ApacheIIInputs = field(default_factory=ApacheIIInputs)  # age comes from `age`
    labs: ScreeningLabs = field(default_factory=ScreeningLabs)
    corticosteroids: tuple[CorticosteroidCourse, ...] | None = None  # None: not answered
    exclusions: ExclusionAnswers = field(default_factory=ExclusionAnswers)
    # Paths (`lymphocytes[1]`) of the samples taken after the evaluation time: I4 counts
    # only samples at or before it, so they are left out of `mhla_dr` and `lymphocytes`.
    not_counted: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Field readers


def local_instant(naive: datetime, field_path: str) -> datetime:
    """A Europe/Paris wall-clock time as an aware UTC instant; refuses skipped/repeated times."""
    early = naive.replace(tzinfo=STUDY_TIME_ZONE, fold=0)
    late = naive.replace(tzinfo=STUDY_TIME_ZONE, fold=1)
    if early.utcoffset() != late.utcoffset():
        round_trip = early.astimezone(UTC).astimezone(STUDY_TIME_ZONE).replace(tzinfo=None)
        if round_trip != naive:
            raise CaseInputError(
                field_path,
                gettext_noop(
                    "{value} does not exist in Europe/Paris (clocks skip it): give the UTC offset"
                ),
                {"value": naive.isoformat()},
            )
        raise CaseInputError(
            field_path,
            gettext_noop(
                "{value} occurs twice in Europe/Paris (clocks go back): give the UTC offset"
            ),
            {"value": naive.isoformat()},
        )
    return early.astimezone(UTC)


class _Reader:
    """Reads one JSON object at `path`, collecting soft-limit warnings."""

    def __init__(self, obj: Any, path: str, warnings: list[SoftLimitWarning], keys: set[str]):
        if not isinstance(obj, Mapping):
            raise CaseInputError(path, gettext_noop("An object is required"))
        for key in obj:
            if not isinstance(key, str) or (key not in keys and not key.startswith("_")):
                raise CaseInputError(self._join(path, str(key)), gettext_noop("Unknown field"))
        self.obj = obj
        self.path = path
        self.warnings = warnings

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def at(self, key: str) -> str:
        return self._join(self.path, key)

    def raw(self, key: str) -> Any:
        return self.obj.get(key)

    def boolean(self, key: str) -> bool | None:
        value = self.obj.get(key)
        if value is None or isinstance(value, bool):
            return value
        raise CaseInputError(self.at(key), gettext_noop("true or false is required"))

    def choice(self, key: str, choices: Mapping[str, Any] | tuple[str, ...]) -> str | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value not in choices:
            raise CaseInputError(
                self.at(key),
                gettext_noop("Unknown value {value}: expected one of {choices}"),
                {"value": repr(value), "choices": ", ".join(choices)},
            )
        return value

    def number(
        self,
        key: str,
        limit: Limit | None = None,
        convert: Callable[[Decimal], Decimal] | None = None,
    ) -> Decimal | None:
        value = self.obj.get(key)
        if value is None:
            return None
        return self.convert(value, self.at(key), limit, convert)

    def convert(
        self,
        value: Any,
        path: str,
        limit: Limit | None = None,
        convert: Callable[[Decimal], Decimal] | None = None,
    ) -> Decimal:
        """A number in the engine's unit, checked against its limits."""
        try:
            number = to_decimal(value)
        except (TypeError, ValueError):
            raise CaseInputError(path, gettext_noop("A number is required")) from None
        if convert is not None:
            number = convert(number)
        if limit is not None:
            check_limit(number, limit, path, self.warnings)
        return number

    def measure(
        self, key: str, limit: Limit, alternatives: Mapping[str, Callable[[Decimal], Decimal]]
    ) -> Decimal | None:
        """A value whose key may instead carry another unit (`creatinine_mg_dl`)."""
        given = [k for k in (key, *alternatives) if self.obj.get(k) is not None]
        if len(given) > 1:
            raise CaseInputError(
                self.at(given[1]),
                gettext_noop("Give only one of {keys}"),
                {"keys": ", ".join(given)},
            )
        if not given or given[0] == key:
            return self.number(key, limit)
        return self.number(given[0], limit, convert=alternatives[given[0]])

    def values(
        self,
        key: str,
        limit: Limit,
        alternatives: Mapping[str, Callable[[Decimal], Decimal]] | None = None,
    ) -> tuple[Decimal, ...]:
        """One value, or a list of values (e.g. highest and lowest) scored at their worst."""
        alternatives = alternatives or {}
        given = [k for k in (key, *alternatives) if self.obj.get(k) is not None]
        if len(given) > 1:
            raise CaseInputError(
                self.at(given[1]),
                gettext_noop("Give only one of {keys}"),
                {"keys": ", ".join(given)},
            )
        if not given:
            return ()
        used = given[0]
        raw = self.obj[used]
        convert = alternatives.get(used)
        if isinstance(raw, list):
            return tuple(
                self.convert(item, f"{self.at(used)}[{i}]", limit, convert)
                for i, item in enumerate(raw)
            )
        number = self.number(used, limit, convert)
        return () if number is None else (number,)

    def instant(self, key: str) -> datetime | None:
        value = self.obj.get(key)
        if value is None:
            return None
        path = self.at(key)
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str) and len(value) > 10:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise CaseInputError(path, gettext_noop("Not an ISO 8601 date and time")) from None
        else:
            raise CaseInputError(path, gettext_noop("Not an ISO 8601 date and time"))
        if moment.tzinfo is None:
            return local_instant(moment, path)
        return moment.astimezone(UTC)

    def calendar_date(self, key: str) -> date | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise CaseInputError(self.at(key), gettext_noop("Not an ISO 8601 date (YYYY-MM-DD)"))

    def items(self, key: str) -> list[tuple[str, Any]] | None:
        value = self.obj.get(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise CaseInputError(self.at(key), gettext_noop("A list is required"))
        return [(f"{self.at(key)}[{i}]", item) for i, item in enumerate(value)]


def check_limit(value: Decimal, limit: Limit, path: str, warnings: list[SoftLimitWarning]) -> None:
    """Refuse a value outside the hard limits; record a warning outside the soft limits."""
    if limit is limits.FIO2 and not (limit.hard_min <= value <= limit.hard_max):  # type: ignore[operator]
        raise CaseInputError(path, gettext_noop("FiO₂ is a fraction between 0.21 and 1.00"))
    if limit.integer and value != value.to_integral_value():
        raise CaseInputError(path, gettext_noop("A whole number is required"))
    too_low = limit.hard_min is not None and value < limit.hard_min
    too_high = limit.hard_max is not None and value > limit.hard_max
    if too_low or too_high:
        params = {"value": _fmt(value), "unit": limit.unit}
        if limit.hard_max is None:
            raise CaseInputError(
                path,
                gettext_noop("{value} {unit} is impossible: the minimum is {min} {unit}")
                if limit.unit
                else gettext_noop("{value} is impossible: the minimum is {min}"),
                {**params, "min": _fmt(limit.hard_min)},  # type: ignore[arg-type]
            )
        raise CaseInputError(
            path,
            gettext_noop("{value} {unit} is impossible: allowed {min} to {max} {unit}")
            if limit.unit
            else gettext_noop("{value} is impossible: allowed {min} to {max}"),
            {**params, "min": _fmt(limit.hard_min), "max": _fmt(limit.hard_max)},  # type: ignore[arg-type]
        )
    soft_warning(value, limit, path, warnings)


def soft_warning(value: Decimal, limit: Limit, path: str, warnings: list[SoftLimitWarning]) -> None:
    params = {"value": _fmt(value), "unit": limit.unit}
    if limit.soft_below is not None and value < limit.soft_below:
        warnings.append(
            SoftLimitWarning(
                path,
                gettext_noop("{value} {unit} is unusually low (< {limit} {unit}): check it")
                if limit.unit
                else gettext_noop("{value} is unusually low (< {limit}): check it"),
                {**params, "limit": _fmt(limit.soft_below)},
            )
        )
    if limit.soft_above is not None and value > limit.soft_above:
        warnings.append(
            SoftLimitWarning(
                path,
                gettext_noop("{value} {unit} is unusually high (> {limit} {unit}): check it")
                if limit.unit
                else gettext_noop("{value} is unusually high (> {limit}): check it"),
                {**params, "limit": _fmt(limit.soft_above)},
            )
        )


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


# ---------------------------------------------------------------------------------------------
# Sections

_CREATININE_ALTERNATIVES: Final = {"creatinine_mg_dl": creatinine_mg_dl_to_umol_l}
_BILIRUBIN_ALTERNATIVES: Final = {"bilirubin_mg_dl": bilirubin_mg_dl_to_umol_l}
_PAO2_ALTERNATIVES: Final = {"pao2_kpa": pao2_kpa_to_mmhg}
_PACO2_ALTERNATIVES: Final = {"paco2_kpa": pao2_kpa_to_mmhg}

CASE_KEYS: Final = {
    "case_id",
    "age",
    "sex",
    "weight_kg",
    "icu_admission",
    "evaluated_at",
    "inclusion",
    "sofa",
    "mhla_dr",
    "lymphocytes",
    "apache_ii",
    "labs",
    "corticosteroids",
    "exclusions",
}
SOFA_KEYS: Final = {
    "date",
    *(f for f in SofaInputs.__dataclass_fields__),
    "creatinine_mg_dl",
    "bilirubin_mg_dl",
    "pao2_kpa",
}
APACHE_KEYS: Final = {
    "temperature_c",
    "map_mmhg",
    "heart_rate",
    "respiratory_rate",
    "fio2",
    "pao2_mmhg",
    "pao2_kpa",
    "paco2_mmhg",
    "paco2_kpa",
    "arterial_ph",
    "sodium_mmol_l",
    "potassium_mmol_l",
    "creatinine_umol_l",
    "creatinine_mg_dl",
    "acute_renal_failure",
    "hematocrit_pct",
    "wbc_g_l",
    "gcs",
    "chronic_health",
}
LAB_KEYS: Final = {*ScreeningLabs.__dataclass_fields__, "creatinine_mg_dl"}


def _inclusion(reader: _Reader) -> InclusionAnswers:
    contraception = reader.raw("contraception_agreement")
    valid = contraception is None or isinstance(contraception, bool)
    if not (valid or contraception == NOT_APPLICABLE):
        raise CaseInputError(
            reader.at("contraception_agreement"),
            gettext_noop('true, false or "not_applicable" is required'),
        )
    return InclusionAnswers(
        expected_icu_stay_over_10_days=reader.boolean("expected_icu_stay_over_10_days"),
        consent_obtained=reader.boolean("consent_obtained"),
        social_security_affiliation=reader.boolean("social_security_affiliation"),
        contraception_agreement=contraception,
    )


def _sofa(reader: _Reader) -> SofaAssessment:
    s = limits.SOFA
    pao2 = reader.measure("pao2_mmhg", s["pao2_mmhg"], _PAO2_ALTERNATIVES)
    fio2 = reader.number("fio2", s["fio2"])
    if pao2 is not None and fio2 is not None:
        soft_warning(pao2 / fio2, limits.PAO2_FIO2, reader.at("pao2_fio2"), reader.warnings)
    gcs = reader.number("gcs", s["gcs"])
    inputs = SofaInputs(
        pao2_mmhg=pao2,
        fio2=fio2,
        respiratory_support=reader.boolean("respiratory_support"),
        platelets_g_l=reader.number("platelets_g_l", s["platelets_g_l"]),
        bilirubin_umol_l=reader.measure(
            "bilirubin_umol_l", s["bilirubin_umol_l"], _BILIRUBIN_ALTERNATIVES
        ),
        map_mmhg=reader.number("map_mmhg", s["map_mmhg"]),
        dopamine_ug_kg_min=reader.number("dopamine_ug_kg_min", s["dopamine_ug_kg_min"]),
        dobutamine_ug_kg_min=reader.number("dobutamine_ug_kg_min", s["dobutamine_ug_kg_min"]),
        epinephrine_ug_kg_min=reader.number("epinephrine_ug_kg_min", s["epinephrine_ug_kg_min"]),
        norepinephrine_ug_kg_min=reader.number(
            "norepinephrine_ug_kg_min", s["norepinephrine_ug_kg_min"]
        ),
        gcs=None if gcs is None else int(gcs),
        creatinine_umol_l=reader.measure(
            "creatinine_umol_l", s["creatinine_umol_l"], _CREATININE_ALTERNATIVES
        ),
        urine_output_ml_24h=reader.number("urine_output_ml_24h", s["urine_output_ml_24h"]),
        respiratory_failure_due_to_neurological_failure=reader.boolean(
            "respiratory_failure_due_to_neurological_failure"
        ),
    )
    return SofaAssessment(date=reader.calendar_date("date"), inputs=inputs)


def _apache(reader: _Reader) -> ApacheIIInputs:
    a = limits.APACHE_II
    fio2 = reader.number("fio2", a["fio2"])
    pao2 = reader.measure("pao2_mmhg", a["pao2_mmhg"], _PAO2_ALTERNATIVES)
    paco2 = reader.measure("paco2_mmhg", a["paco2_mmhg"], _PACO2_ALTERNATIVES)
    gases = () if fio2 is None or pao2 is None else (ArterialGas(fio2, pao2, paco2),)
    return ApacheIIInputs(
        temperature_c=reader.values("temperature_c", a["temperature_c"]),
        map_mmhg=reader.values("map_mmhg", a["map_mmhg"]),
        heart_rate=reader.values("heart_rate", a["heart_rate"]),
        respiratory_rate=reader.values("respiratory_rate", a["respiratory_rate"]),
        arterial_gases=gases,
        arterial_ph=reader.values("arterial_ph", a["arterial_ph"]),
        sodium_mmol_l=reader.values("sodium_mmol_l", a["sodium_mmol_l"]),
        potassium_mmol_l=reader.values("potassium_mmol_l", a["potassium_mmol_l"]),
        creatinine_umol_l=reader.values(
            "creatinine_umol_l", a["creatinine_umol_l"], _CREATININE_ALTERNATIVES
        ),
        acute_renal_failure=reader.boolean("acute_renal_failure"),
        hematocrit_pct=reader.values("hematocrit_pct", a["hematocrit_pct"]),
        wbc_g_l=reader.values("wbc_g_l", a["wbc_g_l"]),
        gcs=tuple(int(g) for g in reader.values("gcs", a["gcs"])),
        chronic_health=reader.choice("chronic_health", tuple(CHRONIC_HEALTH_POINTS)),
    )


def _labs(reader: _Reader) -> ScreeningLabs:
    lab = limits.LABS
    values = {key: reader.number(key, lab[key]) for key in lab if key != "creatinine_umol_l"}
    creatinine = reader.measure(
        "creatinine_umol_l", lab["creatinine_umol_l"], _CREATININE_ALTERNATIVES
    )
    return ScreeningLabs(**values, creatinine_umol_l=creatinine)


def _course(reader: _Reader) -> CorticosteroidCourse:
    c = limits.CORTICOSTEROID
    return CorticosteroidCourse(
        drug=reader.choice("drug", tuple(GLUCOCORTICOID_EQUIVALENT_MG)),
        daily_dose_mg=reader.number("daily_dose_mg", c["daily_dose_mg"]),
        duration_days=reader.number("duration_days", c["duration_days"]),
    )


def _section(obj: Any, path: str, warnings: list[SoftLimitWarning], keys: set[str]) -> _Reader:
    return _Reader({} if obj is None else obj, path, warnings, keys)


def parse_case_with_warnings(obj: Any) -> tuple[Case, list[SoftLimitWarning]]:
    """Validate one §6 case; returns it with its soft-limit warnings (CaseInputError if bad)."""
    warnings: list[SoftLimitWarning] = []
    top = _Reader(obj, "", warnings, CASE_KEYS)

    case_id = top.raw("case_id")
    if case_id is not None and (isinstance(case_id, bool) or not isinstance(case_id, str | int)):
        raise CaseInputError("case_id", gettext_noop("A string is required"))
    age = top.number("age", limits.CASE["age"])
    sex = top.choice("sex", ("M", "F"))
    weight_kg = top.number("weight_kg", limits.CASE["weight_kg"])
    icu_admission = top.instant("icu_admission")
    evaluated_at = top.instant("evaluated_at")
    if icu_admission and evaluated_at and evaluated_at < icu_admission:
        raise CaseInputError("evaluated_at", gettext_noop("The evaluation is before ICU admission"))

    sofa = []
    for path, item in top.items("sofa") or []:
        assessment = _sofa(_Reader(item, path, warnings, SOFA_KEYS))
        _check_sofa_date(assessment.date, f"{path}.date", icu_admission, evaluated_at)
        sofa.append(assessment)

    # A sample taken after the evaluation time is normal in a patient file: it is still
    # validated (an impossible value is an entry error) but ignored, never refused.
    not_counted: list[str] = []
    mhla_dr = []
    for path, item in top.items("mhla_dr") or []:
        reader = _Reader(item, path, warnings, {"sampled_at", "ab_per_cell"})
        sampled_at = reader.instant("sampled_at")
        mhla = MhlaDrSample(sampled_at, reader.number("ab_per_cell", limits.MHLA_DR))
        if _after_evaluation(sampled_at, evaluated_at):
            not_counted.append(path)
        else:
            mhla_dr.append(mhla)

    lymphocytes = []
    for path, item in top.items("lymphocytes") or []:
        reader = _Reader(item, path, warnings, {"sampled_at", "value", "unit"})
        sampled_at = reader.instant("sampled_at")
        unit = reader.choice("unit", tuple(LYMPHOCYTE_UNITS))
        value = reader.number("value")
        if value is not None and unit is None:
            raise CaseInputError(reader.at("unit"), gettext_noop("The unit is required"))
        per_mm3 = None
        if value is not None and unit is not None:
            per_mm3 = lymphocytes_to_per_mm3(value, unit)
            check_limit(per_mm3, limits.LYMPHOCYTES_PER_MM3, reader.at("value"), warnings)
        if _after_evaluation(sampled_at, evaluated_at):
            not_counted.append(path)
        else:
            lymphocytes.append(LymphocyteSample(sampled_at, value, unit, per_mm3))

    courses = None
    course_items = top.items("corticosteroids")
    if course_items is not None:
        courses = tuple(
            _course(_Reader(item, path, warnings, {"drug", "daily_dose_mg", "duration_days"}))
            for path, item in course_items
        )

    case = Case(
        case_id=case_id,
        age=None if age is None else int(age),
        sex=sex,  # type: ignore[arg-type]
        weight_kg=weight_kg,
        icu_admission=icu_admission,
        evaluated_at=evaluated_at,
        inclusion=_inclusion(
            _section(
                top.raw("inclusion"),
                "inclusion",
                warnings,
                set(InclusionAnswers.__dataclass_fields__),
            )
        ),
        sofa=tuple(sofa),
        mhla_dr=tuple(mhla_dr),
        lymphocytes=tuple(lymphocytes),
        apache_ii=_apache(_section(top.raw("apache_ii"), "apache_ii", warnings, APACHE_KEYS)),
        labs=_labs(_section(top.raw("labs"), "labs", warnings, LAB_KEYS)),
        corticosteroids=courses,
        exclusions=_exclusions(
            _section(
                top.raw("exclusions"),
                "exclusions",
                warnings,
                set(ExclusionAnswers.__dataclass_fields__),
            )
        ),
        not_counted=tuple(not_counted),
    )
    return case, warnings


def parse_case(obj: Any) -> Case:
    """Validate one §6 case (CaseInputError naming the field if bad); ignores warnings."""
    return parse_case_with_warnings(obj)[0]


def _exclusions(reader: _Reader) -> ExclusionAnswers:
    return ExclusionAnswers(
        **{key: reader.boolean(key) for key in ExclusionAnswers.__dataclass_fields__}
    )


def icu_day(assessment_date: date, icu_admission: datetime) -> int:
    """ICU day n: the Europe/Paris calendar date of ICU admission is ICU day 1."""
    return (assessment_date - paris_date(icu_admission)).days + 1


def _check_sofa_date(
    assessed: date | None, path: str, icu_admission: datetime | None, evaluated_at: datetime | None
) -> None:
    if assessed is None:
        return
    if icu_admission is not None and icu_day(assessed, icu_admission) < 1:
        raise CaseInputError(path, gettext_noop("The assessment is before the ICU admission date"))
    if evaluated_at is not None and assessed > paris_date(evaluated_at):
        raise CaseInputError(path, gettext_noop("The assessment is after the evaluation date"))


def _after_evaluation(sampled_at: datetime | None, evaluated_at: datetime | None) -> bool:
    """Protocol I4: only samples at or before the evaluation time count (an undated sample
    or an unknown evaluation time cannot be placed, so the sample stays)."""
    return sampled_at is not None and evaluated_at is not None and sampled_at > evaluated_at
