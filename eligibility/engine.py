"""Eligibility of one screening case (protocol.md §4 outcome rule, §6 machine interface).

Outcome: any failed criterion → not_eligible; else any missing → incomplete; else eligible.
The eGFR of the §6 output is rounded to one decimal half-up (67.05 → 67.1); criteria always
compare the unrounded value.
"""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, Literal

from eligibility import criteria as c
from eligibility.case import (
    Case,
    CaseInputError,
    SoftLimitWarning,
    icu_day,
    parse_case_with_warnings,
)
from eligibility.scores import ApacheIIScore, SofaScore, apache_ii, egfr_ckd_epi_2021, sofa

Status = Literal["eligible", "not_eligible", "incomplete"]
ELIGIBLE: Final = "eligible"
NOT_ELIGIBLE: Final = "not_eligible"
INCOMPLETE: Final = "incomplete"
EGFR_OUTPUT_QUANTUM: Final = Decimal("0.1")


@dataclass(frozen=True)
class SofaAssessmentResult:
    date: date | None
    icu_day: int | None  # None when the date or the ICU admission is missing
    score: SofaScore

    @property
    def first_week(self) -> bool:
        return c.is_first_week(self.icu_day)


@dataclass(frozen=True)
class EligibilityResult:
    case_id: str | int | None
    status: Status
    criteria: tuple[c.CriterionResult, ...]  # table order I1…I7, E1…E24
    failed: tuple[str, ...]
    missing: tuple[str, ...]
    sofa: tuple[SofaAssessmentResult, ...]  # in input order
    sofa_first_week_max: int | None
    apache_ii: ApacheIIScore
    egfr: Decimal | None  # unrounded
    warnings: tuple[SoftLimitWarning, ...] = ()
    # Samples left out of I4 because taken after the evaluation time (their §6 paths).
    not_counted: tuple[str, ...] = ()

    @property
    def egfr_rounded(self) -> Decimal | None:
        return round_egfr(self.egfr)

    def to_json(self) -> dict[str, Any]:
        """The §6 output object."""
        egfr = self.egfr_rounded
        return {
            "case_id": self.case_id,
            "status": self.status,
            "failed": list(self.failed),
            "missing": list(self.missing),
            "scores": {
                "sofa_first_week_max": self.sofa_first_week_max,
                "apache_ii": self.apache_ii.total,
                "egfr": None if egfr is None else float(egfr),
            },
        }


def round_egfr(egfr: Decimal | None) -> Decimal | None:
    """One decimal, half-up (decided here: the §6 output does not say which rounding)."""
    return None if egfr is None else egfr.quantize(EGFR_OUTPUT_QUANTUM, rounding=ROUND_HALF_UP)


def compute_egfr(case: Case) -> Decimal | None:
    creatinine = case.labs.creatinine_umol_l
    if creatinine is None or case.age is None or case.sex is None:
        return None
    return egfr_ckd_epi_2021(creatinine, case.age, case.sex)


def evaluate(case: Case, warnings: tuple[SoftLimitWarning, ...] = ()) -> EligibilityResult:
    assessments = tuple(
        SofaAssessmentResult(
            date=a.date,
            icu_day=(
                None
                if a.date is None or case.icu_admission is None
                else icu_day(a.date, case.icu_admission)
            ),
            score=sofa(a.inputs),
        )
        for a in case.sofa
    )
    dated = [c.DatedSofa(a.icu_day, a.score) for a in assessments]
    apache = apache_ii(dataclasses.replace(case.apache_ii, age=case.age))
    egfr = compute_egfr(case)
    answers = case.exclusions
    labs = case.labs
    results: dict[str, c.CriterionResult] = {
        "I1": c.i1(case.age, case.icu_admission, case.evaluated_at),
        "I3": c.i3(dated),
        "I4": c.i4(
            [c.Sample(s.sampled_at, s.ab_per_cell) for s in case.mhla_dr],
            [c.Sample(s.sampled_at, s.per_mm3) for s in case.lymphocytes],
            case.evaluated_at,
        ),
        "I7": c.i7(case.inclusion.contraception_agreement),
        "E4": c.e4(apache),
        "E13": c.e13(
            answers.non_steroid_immunosuppressive_drug,
            None
            if case.corticosteroids is None
            else [c.Course(k.drug, k.daily_dose_mg, k.duration_days) for k in case.corticosteroids],
            case.weight_kg,
        ),
        "E14": c.e14(labs.platelets_g_l),
        "E18": c.e18(labs.ast_u_l, labs.ast_uln, labs.alt_u_l, labs.alt_uln),
        "E19": c.e19(
            answers.suspected_acute_pancreatitis,
            labs.lipase_u_l,
            labs.lipase_uln,
            labs.amylase_u_l,
            labs.amylase_uln,
        ),
        "E20": c.e20(egfr),
    }
    for code, key in c.INCLUSION_QUESTIONS.items():
        results[code] = c.yes_no_inclusion(code, getattr(case.inclusion, key))
    for code, key in c.EXCLUSION_QUESTIONS.items():
        results[code] = c.yes_no_exclusion(code, getattr(answers, key))

    ordered = tuple(results[code] for code in c.CRITERION_CODES)
    failed = tuple(r.code for r in ordered if r.status == c.FAILED)
    missing = tuple(r.code for r in ordered if r.status == c.MISSING)
    status: Status = NOT_ELIGIBLE if failed else INCOMPLETE if missing else ELIGIBLE
    return EligibilityResult(
        case_id=case.case_id,
        status=status,
        criteria=ordered,
        failed=failed,
        missing=missing,
        sofa=assessments,
        sofa_first_week_max=c.sofa_first_week_max(dated),
        apache_ii=apache,
        egfr=egfr,
        warnings=warnings,
        not_counted=case.not_counted,
    )


def evaluate_json(obj: Mapping[str, Any]) -> dict[str, Any]:
    """One §6 input object → the §6 output object (CaseInputError on bad input)."""
    case, warnings = parse_case_with_warnings(obj)
    return evaluate(case, tuple(warnings)).to_json()


def evaluate_payload(obj: Any) -> dict[str, Any] | list[dict[str, Any]]:
    """A case or a list of cases, as `evaluate_eligibility` reads them.

    In a list, a bad case's field is prefixed with its index (`[2].sofa[0].fio2`).
    """
    if isinstance(obj, list):
        outputs = []
        for index, item in enumerate(obj):
            try:
                outputs.append(evaluate_json(item))
            except CaseInputError as error:
                raise CaseInputError(
                    f"[{index}].{error.field}" if error.field else f"[{index}]",
                    error.msgid,
                    error.params,
                ) from error
        return outputs
    return evaluate_json(obj)
