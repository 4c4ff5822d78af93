"""The 31 eligibility criteria of protocol.md §4 (I1–I7, E1–E24), as pure functions.

Each function takes the values it needs (SI units, aware UTC datetimes, scores already
computed) and returns a CriterionResult. `met` means the participant passes the criterion;
for an exclusion that means the exclusion does not apply. A criterion is `failed` only when
the values present make the failure certain, `met` only when they make the pass certain,
otherwise `missing` (protocol.md §6 spells out E13, E18, E19 and I3).

Messages are English msgids with `{name}` placeholders and a params dict, so that the Django
layer translates them (`_(msgid).format(**params)`); `gettext_noop` marks them for
makemessages without importing Django here.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Final, Literal

from eligibility import parameters as p
from eligibility.scores import (
    GLUCOCORTICOID_EQUIVALENT_MG,
    ApacheIIScore,
    SofaScore,
    prednisone_equivalent_exceeds,
)


def gettext_noop(s: str) -> str:
    return s


Status = Literal["met", "failed", "missing"]
MET: Final = "met"
FAILED: Final = "failed"
MISSING: Final = "missing"


@dataclass(frozen=True)
class CriterionResult:
    code: str
    status: Status
    msgid: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The untranslated English explanation."""
        return self.msgid.format(**self.params)


@dataclass(frozen=True)
class Criterion:
    code: str
    kind: Literal["inclusion", "exclusion"]
    label: str


def _inclusion(code: str, label: str) -> Criterion:
    return Criterion(code, "inclusion", label)


def _exclusion(code: str, label: str) -> Criterion:
    return Criterion(code, "exclusion", label)


# Table order of protocol.md §4: results, `failed` and `missing` lists follow it.
CRITERIA: Final[tuple[Criterion, ...]] = (
    _inclusion("I1", gettext_noop("Adult (≥ 18 years) in ICU for at least 7 × 24 h")),
    _inclusion("I2", gettext_noop("Investigator expects an ICU length of stay > 10 days")),
    _inclusion("I3", gettext_noop("Multiple organ failure: adjusted SOFA ≥ 6 on ICU day 1 to 7")),
    _inclusion(
        "I4",
        gettext_noop(
            "Sustained immunosuppression: mHLA-DR < 8000 AB/C and lymphocytes < 1000/mm³ "
            "sampled at most 96 h apart"
        ),
    ),
    _inclusion(
        "I5",
        gettext_noop("Consent given by the patient or the legal representative / trusted person"),
    ),
    _inclusion("I6", gettext_noop("Affiliated to a social security scheme")),
    _inclusion("I7", gettext_noop("Agreement to contraception until D90, or not applicable")),
    _exclusion("E1", gettext_noop("Uncontrolled secondary infection ongoing at screening")),
    _exclusion("E2", gettext_noop("Participation in another interventional trial within 30 days")),
    _exclusion("E3", gettext_noop("Chemotherapy or radiotherapy within the last 6 weeks")),
    _exclusion("E4", gettext_noop("APACHE II ≥ 30 at screening")),
    _exclusion("E5", gettext_noop("History of autoimmune disease")),
    _exclusion("E6", gettext_noop("Organ or bone-marrow transplant")),
    _exclusion("E7", gettext_noop("History of haematological malignancy")),
    _exclusion("E8", gettext_noop("History of hepatitis C")),
    _exclusion("E9", gettext_noop("HIV stage C within the last 12 months")),
    _exclusion("E10", gettext_noop("Under legal protection (tutelle, curatelle)")),
    _exclusion("E11", gettext_noop("History of or ongoing tuberculosis")),
    _exclusion("E12", gettext_noop("Chronic hepatitis B")),
    _exclusion(
        "E13",
        gettext_noop(
            "Immunosuppressive drug, corticosteroids > 1 mg/kg/day prednisone equivalent "
            "for > 7 days, or corticosteroids for > 90 days"
        ),
    ),
    _exclusion("E14", gettext_noop("Platelets < 50 G/L")),
    _exclusion("E15", gettext_noop("Traumatic brain or spinal injury")),
    _exclusion("E16", gettext_noop("Pregnancy or breast-feeding")),
    _exclusion(
        "E17",
        gettext_noop(
            "Hypersensitivity to interferon gamma, its excipients, latex or another interferon"
        ),
    ),
    _exclusion("E18", gettext_noop("Hepatic cytolysis: AST or ALT > 5 × ULN")),
    _exclusion(
        "E19",
        gettext_noop("Suspected acute pancreatitis with lipase or amylase > 3 × ULN"),
    ),
    _exclusion("E20", gettext_noop("eGFR (CKD-EPI 2021) < 10 ml/min/1.73 m²")),
    _exclusion("E21", gettext_noop("Acute life-threatening ECG abnormality")),
    _exclusion(
        "E22",
        gettext_noop("Mental state of the person giving consent prevents understanding"),
    ),
    _exclusion("E23", gettext_noop("Deprived of liberty by judicial or administrative decision")),
    _exclusion("E24", gettext_noop("Investigator, study team member or relative of one")),
)
CRITERIA_BY_CODE: Final = {criterion.code: criterion for criterion in CRITERIA}
CRITERION_CODES: Final = tuple(criterion.code for criterion in CRITERIA)

# Exclusions decided by a single investigator answer (protocol.md §6 "exclusions" keys).
EXCLUSION_QUESTIONS: Final[dict[str, str]] = {
    "E1": "uncontrolled_secondary_infection",
    "E2": "other_trial_within_30_days",
    "E3": "chemo_or_radiotherapy_within_6_weeks",
    "E5": "autoimmune_disease",
    "E6": "organ_or_bone_marrow_transplant",
    "E7": "hematologic_malignancy",
    "E8": "hepatitis_c",
    "E9": "hiv_stage_c_within_12_months",
    "E10": "under_legal_protection",
    "E11": "tuberculosis",
    "E12": "chronic_hepatitis_b",
    "E15": "traumatic_brain_or_spinal_injury",
    "E16": "pregnant_or_breastfeeding",
    "E17": "hypersensitivity_ifn_gamma_excipients_latex",
    "E21": "acute_ecg_abnormality",
    "E22": "consenting_person_unable_to_understand",
    "E23": "deprived_of_liberty",
    "E24": "study_team_member_or_relative",
}
INCLUSION_QUESTIONS: Final[dict[str, str]] = {
    "I2": "expected_icu_stay_over_10_days",
    "I5": "consent_obtained",
    "I6": "social_security_affiliation",
}


def fmt(value: Decimal | int) -> str:
    """A number as plain text, without exponent or trailing zeros (620.000 → 620)."""
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    return text


def fmt_hours(duration: timedelta) -> str:
    hours = Decimal(duration // timedelta(microseconds=1)) / Decimal(3_600_000_000)
    return fmt(hours.quantize(Decimal("0.01"), rounding=ROUND_DOWN))


def _result(
    code: str, status: Status, msgid: str, **params: str | int | Decimal
) -> CriterionResult:
    return CriterionResult(
        code,
        status,
        msgid,
        {k: v if isinstance(v, str) else fmt(v) for k, v in params.items()},
    )


# ---------------------------------------------------------------------------------------------
# Inclusion


def i1(
    age: int | None, icu_admission: datetime | None, evaluated_at: datetime | None
) -> CriterionResult:
    """Age ≥ 18 and at least 168 h of real elapsed time (UTC instants) in the ICU."""
    if age is not None and age < p.MIN_AGE_YEARS:
        return _result(
            "I1",
            FAILED,
            gettext_noop("Age {age} years is under {limit}"),
            age=age,
            limit=p.MIN_AGE_YEARS,
        )
    if icu_admission is not None and evaluated_at is not None:
        in_icu = evaluated_at - icu_admission  # aware datetimes: real elapsed time
        if in_icu < p.MIN_ICU_STAY:
            return _result(
                "I1",
                FAILED,
                gettext_noop("{hours} h in ICU at evaluation, less than {limit} h"),
                hours=fmt_hours(in_icu),
                limit=fmt_hours(p.MIN_ICU_STAY),
            )
        if age is None:
            return _result("I1", MISSING, gettext_noop("Age is missing"))
        return _result(
            "I1",
            MET,
            gettext_noop("Age {age} years, {hours} h in ICU (at least {limit} h)"),
            age=age,
            hours=fmt_hours(in_icu),
            limit=fmt_hours(p.MIN_ICU_STAY),
        )
    return _result("I1", MISSING, gettext_noop("ICU admission or evaluation time is missing"))


def yes_no_inclusion(code: str, answer: bool | None) -> CriterionResult:
    """I2, I5, I6: an investigator answer; yes passes."""
    if answer is None:
        return _result(code, MISSING, gettext_noop("Answer is missing"))
    if answer:
        return _result(code, MET, gettext_noop("Answered yes"))
    return _result(code, FAILED, gettext_noop("Answered no"))


def i7(answer: bool | Literal["not_applicable"] | None) -> CriterionResult:
    if answer == "not_applicable":
        return _result("I7", MET, gettext_noop("Not applicable"))
    return yes_no_inclusion("I7", answer)


@dataclass(frozen=True)
class DatedSofa:
    """A SOFA assessment placed in the ICU stay; icu_day is None when it cannot be placed."""

    icu_day: int | None
    score: SofaScore


def is_first_week(icu_day: int | None) -> bool:
    return icu_day is not None and 1 <= icu_day <= p.LAST_FIRST_WEEK_ICU_DAY


def sofa_first_week_max(assessments: Sequence[DatedSofa]) -> int | None:
    """Highest adjusted SOFA on ICU days 1–7, or None when it is not determined.

    Determined when a complete first-week assessment scores at least the upper bound of every
    incomplete (or unplaceable) one; None when there is no first-week assessment.
    """
    complete = [a.score.adjusted for a in assessments if is_first_week(a.icu_day)]
    possible = [a for a in assessments if a.icu_day is None or is_first_week(a.icu_day)]
    if not possible:
        return None
    known = [value for value in complete if value is not None]
    best = max(known, default=None)
    for assessment in possible:
        undetermined = assessment.score.adjusted is None or assessment.icu_day is None
        if undetermined and (best is None or assessment.score.adjusted_max > best):
            return None
    return best


def i3(assessments: Sequence[DatedSofa]) -> CriterionResult:
    """protocol.md §4 I3 with the §6 missing rule: only a complete assessment can qualify."""
    if not assessments:
        return _result("I3", MISSING, gettext_noop("No SOFA assessment"))
    limit = p.MIN_ADJUSTED_SOFA
    qualifying = [
        a
        for a in assessments
        if is_first_week(a.icu_day) and a.score.adjusted is not None and a.score.adjusted >= limit
    ]
    if qualifying:
        best = max(qualifying, key=lambda a: a.score.adjusted or 0)
        return _result(
            "I3",
            MET,
            gettext_noop("Adjusted SOFA {value} on ICU day {day} (at least {limit})"),
            value=best.score.adjusted or 0,
            day=best.icu_day or 0,
            limit=limit,
        )
    if any(a.icu_day is None for a in assessments):
        return _result(
            "I3", MISSING, gettext_noop("A SOFA assessment cannot be placed on an ICU day")
        )
    if any(is_first_week(a.icu_day) and a.score.adjusted is None for a in assessments):
        return _result(
            "I3", MISSING, gettext_noop("A SOFA assessment on ICU day 1 to 7 is incomplete")
        )
    first_week = [a.score.adjusted or 0 for a in assessments if is_first_week(a.icu_day)]
    if any(not is_first_week(a.icu_day) and a.score.adjusted_min >= limit for a in assessments):
        return _result(
            "I3",
            FAILED,
            gettext_noop("Adjusted SOFA reaches {limit} only after ICU day {day}"),
            limit=limit,
            day=p.LAST_FIRST_WEEK_ICU_DAY,
        )
    if not first_week:
        return _result("I3", FAILED, gettext_noop("No SOFA assessment on ICU day 1 to 7"))
    return _result(
        "I3",
        FAILED,
        gettext_noop("Highest adjusted SOFA on ICU day 1 to 7 is {value}, under {limit}"),
        value=max(first_week),
        limit=limit,
    )


@dataclass(frozen=True)
class Sample:
    """A dated result in the unit of its threshold (AB/C or /mm³); None = missing."""

    sampled_at: datetime | None
    value: Decimal | None


def i4(
    mhla_dr: Sequence[Sample], lymphocytes: Sequence[Sample], evaluated_at: datetime | None
) -> CriterionResult:
    """A qualifying mHLA-DR and lymphocyte count at most 96 h apart, at or before evaluation.

    An absent result list stands for one unknown sample, so I4 is missing while a pair could
    still qualify and failed when no pair can.
    """
    unknown = Sample(None, None)
    mhla = list(mhla_dr) or [unknown]
    lympho = list(lymphocytes) or [unknown]

    def may_qualify(sample: Sample, limit: Decimal, evaluated: datetime | None) -> bool:
        if sample.value is not None and sample.value >= limit:
            return False
        return not (
            sample.sampled_at is not None
            and evaluated is not None
            and sample.sampled_at > evaluated
        )

    def qualifies(sample: Sample, limit: Decimal) -> bool:
        return (
            sample.value is not None
            and sample.sampled_at is not None
            and sample.value < limit
            and evaluated_at is not None
            and sample.sampled_at <= evaluated_at
        )

    gap = p.MAX_IMMUNOSUPPRESSION_SAMPLE_GAP
    mhla_limit, lympho_limit = p.MHLA_DR_LIMIT_AB_PER_CELL, p.LYMPHOCYTE_LIMIT_PER_MM3
    possible = False
    for m in mhla:
        for lc in lympho:
            if not (
                may_qualify(m, mhla_limit, evaluated_at)
                and may_qualify(lc, lympho_limit, evaluated_at)
            ):
                continue
            if m.sampled_at is not None and lc.sampled_at is not None:
                apart = abs(m.sampled_at - lc.sampled_at)
                if apart > gap:
                    continue
                if qualifies(m, mhla_limit) and qualifies(lc, lympho_limit):
                    return _result(
                        "I4",
                        MET,
                        gettext_noop(
                            "mHLA-DR {mhla_dr} AB/C and lymphocytes {lymphocytes}/mm³ "
                            "sampled {hours} h apart"
                        ),
                        mhla_dr=m.value or Decimal(0),
                        lymphocytes=lc.value or Decimal(0),
                        hours=fmt_hours(apart),
                    )
            possible = True
    if possible:
        if evaluated_at is None:
            return _result("I4", MISSING, gettext_noop("Evaluation time is missing"))
        return _result(
            "I4", MISSING, gettext_noop("An mHLA-DR or lymphocyte result or its time is missing")
        )
    return _result(
        "I4",
        FAILED,
        gettext_noop(
            "No mHLA-DR < {mhla_limit} AB/C with lymphocytes < {lymphocyte_limit}/mm³ "
            "sampled at most {hours} h apart"
        ),
        mhla_limit=mhla_limit,
        lymphocyte_limit=lympho_limit,
        hours=fmt_hours(gap),
    )


# ---------------------------------------------------------------------------------------------
# Exclusion


def yes_no_exclusion(code: str, answer: bool | None) -> CriterionResult:
    """An exclusion decided by one investigator answer: yes excludes."""
    if answer is None:
        return _result(code, MISSING, gettext_noop("Answer is missing"))
    if answer:
        return _result(code, FAILED, gettext_noop("Answered yes: the exclusion applies"))
    return _result(code, MET, gettext_noop("Answered no"))


def e4(apache: ApacheIIScore) -> CriterionResult:
    limit = p.APACHE_II_EXCLUSION_THRESHOLD
    if apache.total is None:
        if apache.total_min >= limit:  # the points present already reach the threshold
            return _result(
                "E4",
                FAILED,
                gettext_noop("APACHE II is at least {value}, not < {limit}"),
                value=apache.total_min,
                limit=limit,
            )
        return _result(
            "E4",
            MISSING,
            gettext_noop("APACHE II cannot be computed: {missing} missing"),
            missing=", ".join(apache.missing),
        )
    if apache.total >= limit:
        return _result(
            "E4",
            FAILED,
            gettext_noop("APACHE II {value} is not < {limit}"),
            value=apache.total,
            limit=limit,
        )
    return _result(
        "E4", MET, gettext_noop("APACHE II {value} is < {limit}"), value=apache.total, limit=limit
    )


@dataclass(frozen=True)
class Course:
    """A corticosteroid course; None = missing."""

    drug: str | None
    daily_dose_mg: Decimal | None
    duration_days: Decimal | None


def _is_long_course(course: Course) -> bool | None:
    if course.duration_days is None:
        return None
    if course.duration_days <= p.LONG_CORTICOSTEROID_COURSE_DAYS:
        return False
    if course.drug == "fludrocortisone" or course.drug is None:
        return True if p.FLUDROCORTISONE_COUNTS_FOR_LONG_COURSE else None
    return True


def _is_high_dose(course: Course, weight_kg: Decimal | None) -> bool | None:
    if course.duration_days is not None and course.duration_days <= (
        p.HIGH_DOSE_CORTICOSTEROID_MIN_DAYS
    ):
        return False
    if course.drug is not None and GLUCOCORTICOID_EQUIVALENT_MG[course.drug] is None:
        return False  # fludrocortisone: 0 mg prednisone
    if course.drug is None or course.daily_dose_mg is None or weight_kg is None:
        return None
    exceeds = prednisone_equivalent_exceeds(
        course.drug, course.daily_dose_mg, weight_kg, p.CORTICOSTEROID_DOSE_LIMIT_MG_PER_KG_DAY
    )
    if not exceeds:
        return False
    return None if course.duration_days is None else True


def e13(
    non_steroid_immunosuppressive_drug: bool | None,
    corticosteroids: Sequence[Course] | None,
    weight_kg: Decimal | None,
) -> CriterionResult:
    """protocol.md §4 E13; §6: the weight is needed whenever a corticosteroid course is given."""
    if non_steroid_immunosuppressive_drug:
        return _result("E13", FAILED, gettext_noop("A non-steroid immunosuppressive drug is given"))
    courses = corticosteroids or ()
    for index, course in enumerate(courses, start=1):
        if _is_long_course(course):
            return _result(
                "E13",
                FAILED,
                gettext_noop("Corticosteroid course {course} lasts {days} days, more than {limit}"),
                course=index,
                days=course.duration_days or Decimal(0),
                limit=p.LONG_CORTICOSTEROID_COURSE_DAYS,
            )
        if _is_high_dose(course, weight_kg):
            return _result(
                "E13",
                FAILED,
                gettext_noop(
                    "Corticosteroid course {course}: more than {dose} mg/kg/day prednisone "
                    "equivalent for {days} days, more than {limit}"
                ),
                course=index,
                dose=p.CORTICOSTEROID_DOSE_LIMIT_MG_PER_KG_DAY,
                days=course.duration_days or Decimal(0),
                limit=p.HIGH_DOSE_CORTICOSTEROID_MIN_DAYS,
            )
    if non_steroid_immunosuppressive_drug is None:
        return _result(
            "E13", MISSING, gettext_noop("Non-steroid immunosuppressive drug: answer is missing")
        )
    if corticosteroids is None:
        return _result("E13", MISSING, gettext_noop("Corticosteroid exposure is missing"))
    if courses and weight_kg is None:
        return _result("E13", MISSING, gettext_noop("Weight is missing"))
    for index, course in enumerate(courses, start=1):
        if _is_long_course(course) is None or _is_high_dose(course, weight_kg) is None:
            return _result(
                "E13",
                MISSING,
                gettext_noop("Corticosteroid course {course} is incomplete"),
                course=index,
            )
    return _result(
        "E13", MET, gettext_noop("No immunosuppressive drug or corticosteroid course in excess")
    )


def e14(platelets_g_l: Decimal | None) -> CriterionResult:
    limit = p.PLATELETS_LIMIT_G_L
    if platelets_g_l is None:
        return _result("E14", MISSING, gettext_noop("Platelets are missing"))
    if platelets_g_l < limit:
        return _result(
            "E14",
            FAILED,
            gettext_noop("Platelets {value} G/L are < {limit} G/L"),
            value=platelets_g_l,
            limit=limit,
        )
    return _result(
        "E14",
        MET,
        gettext_noop("Platelets {value} G/L are not < {limit} G/L"),
        value=platelets_g_l,
        limit=limit,
    )


def _exceeds(value: Decimal | None, uln: Decimal | None, factor: Decimal) -> bool | None:
    """value > factor × ULN, unrounded; None when either is missing."""
    if value is None or uln is None:
        return None
    return value > factor * uln


def e18(
    ast_u_l: Decimal | None,
    ast_uln: Decimal | None,
    alt_u_l: Decimal | None,
    alt_uln: Decimal | None,
) -> CriterionResult:
    """§6: needs both AST and ALT with their ULN unless one already exceeds 5 × ULN."""
    factor = p.TRANSAMINASE_ULN_FACTOR
    for name, value, uln in (("AST", ast_u_l, ast_uln), ("ALT", alt_u_l, alt_uln)):
        if _exceeds(value, uln, factor):
            return _result(
                "E18",
                FAILED,
                gettext_noop("{test} {value} U/L is > {factor} × ULN {uln} U/L"),
                test=name,
                value=value or Decimal(0),
                factor=factor,
                uln=uln or Decimal(0),
            )
    if _exceeds(ast_u_l, ast_uln, factor) is None or _exceeds(alt_u_l, alt_uln, factor) is None:
        return _result("E18", MISSING, gettext_noop("AST or ALT or its ULN is missing"))
    return _result("E18", MET, gettext_noop("AST and ALT are not > {factor} × ULN"), factor=factor)


def e19(
    suspected_acute_pancreatitis: bool | None,
    lipase_u_l: Decimal | None,
    lipase_uln: Decimal | None,
    amylase_u_l: Decimal | None,
    amylase_uln: Decimal | None,
) -> CriterionResult:
    """§6: lipase or amylase (with its ULN) is needed only when pancreatitis is suspected."""
    if suspected_acute_pancreatitis is None:
        return _result(
            "E19", MISSING, gettext_noop("Suspected acute pancreatitis: answer is missing")
        )
    if not suspected_acute_pancreatitis:
        return _result("E19", MET, gettext_noop("Acute pancreatitis is not suspected"))
    factor = p.PANCREATIC_ENZYME_ULN_FACTOR
    enzymes = (("lipase", lipase_u_l, lipase_uln), ("amylase", amylase_u_l, amylase_uln))
    for name, value, uln in enzymes:
        if _exceeds(value, uln, factor):
            return _result(
                "E19",
                FAILED,
                gettext_noop(
                    "Acute pancreatitis suspected and {test} {value} U/L is > {factor} × ULN "
                    "{uln} U/L"
                ),
                test=name,
                value=value or Decimal(0),
                factor=factor,
                uln=uln or Decimal(0),
            )
    if all(_exceeds(value, uln, factor) is None for _, value, uln in enzymes):
        return _result(
            "E19",
            MISSING,
            gettext_noop("Acute pancreatitis suspected: lipase or amylase with its ULN is needed"),
        )
    return _result(
        "E19",
        MET,
        gettext_noop(
            "Acute pancreatitis suspected but lipase and amylase are not > {factor} × ULN"
        ),
        factor=factor,
    )


def e20(egfr: Decimal | None) -> CriterionResult:
    limit = p.EGFR_LIMIT
    if egfr is None:
        return _result("E20", MISSING, gettext_noop("eGFR cannot be computed"))
    # Truncated for display so that the shown value stays on the side of the limit it is on.
    shown = egfr.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    if egfr < limit:  # unrounded (protocol.md §4)
        return _result(
            "E20",
            FAILED,
            gettext_noop("eGFR {value} ml/min/1.73 m² is < {limit}"),
            value=shown,
            limit=limit,
        )
    return _result(
        "E20",
        MET,
        gettext_noop("eGFR {value} ml/min/1.73 m² is not < {limit}"),
        value=shown,
        limit=limit,
    )
