"""One synthetic participant's clinical course, as CRF rows validated by the real rules.

`plan_course` draws a plausible course from a seeded `random.Random` (pure, no query):
ICU stay after D0, death, SOFA trajectory, injections, infections, AEs, follow-ups.
`course_rows` turns it into unsaved model instances, each passed through the same
`crf.services.RULES` as a save (skipped items blanked, hard checks raise, derived fields
and status computed), for `bulk_create` by crf.synthetic. Everything is dated up to
`today` only: a participant randomized last week is still in the ICU.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from crf.facts import ParticipantFacts
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
from crf.rules import followup
from crf.rules.common import Severity
from crf.schedule import STUDY_TIME_ZONE, d0_from_randomized_at
from crf.services.core import FormRules, blank_value
from crf.services.forms import RULES as FORM_RULES

# The death record is written by record_death with the death-date rules.
RULES = {**FORM_RULES, Death: FormRules(followup.death_check)}

D = Decimal
INJECTION_DAYS = (1, 3, 5, 7, 9)
INFECTION_CATEGORIES = (
    ("PN", 45),
    ("BSI", 20),
    ("UTI", 15),
    ("IAI", 8),
    ("CRI", 5),
    ("SST", 4),
    ("OTHER", 3),
)
AE_TERMS = (
    "Atrial fibrillation",
    "Hypokalaemia",
    "Pressure ulcer",
    "Delirium",
    "Fever",
    "Anaemia",
    "Thrombocytopenia",
    "Injection site erythema",
    "Diarrhoea",
)
SAE_TERMS = (
    "Septic shock",
    "Cardiac arrest",
    "Gastrointestinal haemorrhage",
    "Pulmonary embolism",
    "Acute respiratory distress",
)


class SyntheticDataInvalid(Exception):
    """A generated row broke a hard rule: a bug of the generator, never silenced."""


def paris(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STUDY_TIME_ZONE)


@dataclass
class CoursePlan:
    """Study days of the course (relative to D0); None = does not happen by D90."""

    icu_discharge_day: int  # day of the index ICU discharge (may be after today)
    death_day: int | None
    death_in_icu: bool
    severity: float  # SOFA at D0
    hospital_discharge_day: int | None
    missed_injections: frozenset[int]
    infection_days: list[int] = field(default_factory=list)
    ae_days: list[tuple[int, bool]] = field(default_factory=list)  # (day, serious)
    readmission: tuple[int, int] | None = None  # (admitted day, discharged day)
    deviation: bool = False
    d10_sampled: bool = True


def plan_course(rng: random.Random) -> CoursePlan:
    """A course drawn from rough ICU figures: ~22 % die by D90, two thirds of them in the
    ICU; ICU stay after D0 of 3–45 days (median ~12); ~35 % have ≥ 1 secondary infection."""
    icu_days = max(2, min(45, int(rng.lognormvariate(2.45, 0.55))))
    death_day, in_icu = None, False
    if rng.random() < 0.22:
        in_icu = rng.random() < 0.65
        if in_icu:
            death_day = rng.randint(2, icu_days)
            icu_days = death_day
        else:
            death_day = rng.randint(icu_days + 2, 90)
    hospital = icu_days + rng.randint(4, 30)
    if death_day is not None and not in_icu:
        hospital = min(hospital, death_day)
    end = death_day if death_day is not None else 90
    infections: list[int] = []
    if rng.random() < 0.36 and end >= 4:
        first = rng.randint(2, min(40, max(3, end - 1)))
        infections.append(first)
        while rng.random() < 0.3 and infections[-1] + 5 < end:
            infections.append(rng.randint(infections[-1] + 4, min(end, infections[-1] + 20)))
    aes: list[tuple[int, bool]] = []
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        aes.append((rng.randint(1, min(30, max(1, end))), rng.random() < 0.1))
    if death_day is not None and rng.random() < 0.4:
        aes.append((max(1, death_day - 1), True))
    readmission = None
    if death_day is None and rng.random() < 0.05 and icu_days + 10 < 80:
        start = rng.randint(icu_days + 5, icu_days + 25)
        readmission = (start, start + rng.randint(2, 6))
        hospital = max(hospital, readmission[1] + 3)
    return CoursePlan(
        icu_discharge_day=icu_days,
        death_day=death_day,
        death_in_icu=in_icu,
        severity=rng.uniform(5.5, 11.0),
        hospital_discharge_day=hospital if hospital <= 90 or death_day else None,
        missed_injections=frozenset(n for n in range(2, 6) if rng.random() < 0.04),
        infection_days=infections,
        ae_days=sorted(aes),
        readmission=readmission,
        deviation=rng.random() < 0.06,
        d10_sampled=rng.random() < 0.88,
    )


@dataclass
class Built:
    """Unsaved rows of one participant, by model, and the soft findings to flag."""

    rows: dict[type, list[Any]] = field(default_factory=dict)
    flags: list[tuple[Any, list[Any]]] = field(default_factory=list)
    participant_status: str = "randomized"

    def add(self, obj: Any, soft: list[Any]) -> Any:
        self.rows.setdefault(type(obj), []).append(obj)
        if soft:
            self.flags.append((obj, soft))
        return obj


class CourseBuilder:
    """Builds the rows of one participant with the real rules (see module docstring)."""

    def __init__(
        self,
        participant: Any,
        *,
        randomized_at: datetime,
        kit_code: str,
        by: Any,
        rng: random.Random,
        now: datetime,
    ) -> None:
        self.p, self.t_r, self.kit, self.by, self.rng = (
            participant,
            randomized_at,
            kit_code,
            by,
            rng,
        )
        self.d0 = d0_from_randomized_at(randomized_at)
        self.now = now
        self.today = now.astimezone(STUDY_TIME_ZONE).date()
        self.out = Built()
        self.weight = D(rng.randint(52, 118))
        self.sex = rng.choice("MMMF")  # ICU cohorts are ~60–65 % men

    # ------------------------------------------------------------------ helpers
    def day(self, n: int) -> date:
        return self.d0 + timedelta(days=n)

    def past(self, n: int) -> bool:
        # Up to yesterday: what happened today (times after now) is not entered yet.
        return self.day(n) < self.today

    def facts(self, plan: CoursePlan, **extra: Any) -> ParticipantFacts:
        stays = [(1, self.icu_admitted, self.stay_end(plan))]
        if plan.readmission and self.past(plan.readmission[0]):
            a, b = plan.readmission
            stays.append(
                (2, paris(self.day(a), 16), paris(self.day(b), 11) if self.past(b) else None)
            )
        death_day = (
            plan.death_day if plan.death_day is not None and self.past(plan.death_day) else None
        )
        return ParticipantFacts(
            randomized_at=self.t_r,
            d0=self.d0,
            now=self.now,
            today=self.today,
            death_date=self.day(death_day) if death_day is not None else None,
            death_at=paris(self.day(death_day), 4) if death_day is not None else None,
            icu_stays=tuple(stays),
            weight_kg=self.weight,
            sex=self.sex,
            kit_codes=frozenset({self.kit}),
            **extra,
        )

    def stay_end(self, plan: CoursePlan) -> datetime | None:
        n = plan.icu_discharge_day
        if not self.past(n):
            return None
        return paris(self.day(n), 4 if plan.death_in_icu else 15)

    def validated(
        self, model: type, values: dict[str, Any], facts: ParticipantFacts, **check_kwargs: Any
    ) -> Any:
        """The save path of crf.services.core.save_form, minus locking and audit."""
        rules = RULES[model]
        fields = {f.name: f for f in model._meta.concrete_fields}
        for name in rules.skipped(values):
            if name in fields:
                values[name] = blank_value(fields[name])
        findings = rules.check(values, facts, None, **check_kwargs)
        hard = [f for f in findings if f.severity == Severity.HARD]
        if hard:
            raise SyntheticDataInvalid(
                f"{self.p.code} {model.__name__}: " + "; ".join(f.english for f in hard)
            )
        values.update(rules.derive(values, facts))
        missing = any(f.severity == Severity.MISSING for f in findings)
        obj = model(
            participant=self.p,
            created_by=self.by,
            updated_by=self.by,
            status=CrfStatus.IN_PROGRESS if missing else CrfStatus.COMPLETE,
            **values,
        )
        return self.out.add(obj, [f for f in findings if f.severity == Severity.SOFT])

    # ------------------------------------------------------------------ the course
    def build(self, plan: CoursePlan, *, icu_admitted: datetime) -> Built:
        self.icu_admitted = icu_admitted
        facts = self.facts(plan)
        self.baseline(facts)
        self.icu_stays(plan, facts)
        self.daily(plan, facts)
        injections = self.injections(plan, facts)
        self.d10(plan, facts, injections)
        self.infections(plan, facts)
        self.adverse_events(plan, facts, injections)
        self.death_and_discharges(plan, facts)
        self.follow_ups(plan, facts)
        if plan.deviation and self.past(12):
            self.validated(
                ProtocolDeviation,
                {
                    "deviation_date": self.day(self.rng.choice((3, 5, 7))),
                    "category": "IMP_ADMINISTRATION",
                    "severity": "MINOR",
                    "detected_by": "SITE",
                    "description": "Injection given outside the planned time window.",
                    "corrective_action": "Team reminded of the injection schedule.",
                },
                facts,
            )
        return self.out

    def baseline(self, facts: ParticipantFacts) -> None:
        rng = self.rng
        age = rng.randint(28, 86)
        born = self.d0.year - age
        self.validated(
            Baseline,
            {
                "birth_month": rng.randint(1, 12),
                "birth_year": born,
                "sex": self.sex,
                "childbearing_potential": False if self.sex == "F" else None,
                "weight_kg": self.weight,
                "weight_method": rng.choice(("MEASURED", "ESTIMATED")),
                "height_cm": rng.randint(155, 172) if self.sex == "F" else rng.randint(165, 190),
                "admission_source": rng.choice(("EMERGENCY_DEPT", "WARD", "OPERATING_ROOM")),
                "admission_type": rng.choice(("MEDICAL", "MEDICAL", "EMERGENCY_SURGERY")),
                "main_diagnosis": "SEPSIS",
                "sepsis_at_admission": True,
                "sepsis_site": rng.choice(("lung", "abdomen", "urinary tract", "skin")),
                "mccabe": rng.choice(("NON_FATAL", "NON_FATAL", "ULTIMATELY_FATAL")),
                "charlson_items": [],
                "charlson_none": True,
                "residence": "HOME",
                "saps2": rng.randint(30, 70),
            },
            facts,
        )

    def icu_stays(self, plan: CoursePlan, facts: ParticipantFacts) -> None:
        end = self.stay_end(plan)
        values: dict[str, Any] = {"admitted_at": self.icu_admitted, "discharged_at": end}
        if end is not None:
            if plan.death_in_icu:
                values.update(
                    vital_status="DEAD",
                    death_at=end,
                    death_cause=self.rng.choice(
                        ("MULTI_ORGAN_FAILURE", "REFRACTORY_SHOCK", "HYPOXAEMIA")
                    ),
                    death_after_lst_withdrawal=self.rng.random() < 0.6,
                )
            else:
                values.update(
                    vital_status="ALIVE",
                    destination=self.rng.choice(
                        ("WARD_SAME_HOSPITAL", "STEP_DOWN", "REHABILITATION")
                    ),
                )
        last_daily = self.day(plan.icu_discharge_day) if end is not None else None
        self.validated(IcuStay, {**values, "stay_number": 1}, facts, last_daily_date=last_daily)
        if plan.readmission and self.past(plan.readmission[0]):
            a, b = plan.readmission
            re_end = paris(self.day(b), 11) if self.past(b) else None
            extra: dict[str, Any] = {"vital_status": "ALIVE", "destination": "WARD_SAME_HOSPITAL"}
            self.validated(
                IcuStay,
                {
                    "stay_number": 2,
                    "admitted_at": paris(self.day(a), 16),
                    "discharged_at": re_end,
                    **(extra if re_end else {}),
                },
                facts,
                last_daily_date=self.day(b) if re_end else None,
            )

    def _icu_days(self, plan: CoursePlan) -> list[int]:
        last = min(plan.icu_discharge_day, (self.today - self.d0).days - 1)
        days = list(range(0, last + 1))
        if plan.readmission:
            a, b = plan.readmission
            days += list(range(a, min(b, (self.today - self.d0).days - 1) + 1))
        return days

    def daily(self, plan: CoursePlan, facts: ParticipantFacts) -> None:
        rng = self.rng
        total = plan.icu_discharge_day
        onsets = set(plan.infection_days)
        ae_days = {d for d, _s in plan.ae_days}
        for n in self._icu_days(plan):
            # Severity: improves towards discharge; worsens before an ICU death; a bump
            # at each infection onset.
            progress = n / max(total, 1)
            if plan.death_in_icu:
                s = plan.severity + 4 * progress
            else:
                s = plan.severity * (1 - 0.8 * progress)
            if any(0 <= n - o <= 3 for o in onsets):
                s += 2.5
            s = max(0.0, min(17.0, s + rng.gauss(0, 0.8)))
            imv = s > 5 or (n < total * 0.5 and s > 3.5)
            noradre = (
                D(str(round(max(0.0, (s - 6) * 0.05 + rng.gauss(0, 0.02)), 2))) if s > 6 else D("0")
            )
            on_support = imv or s > 4
            pao2 = D(rng.randint(62, 110))
            fio2 = D(str(round(min(1.0, max(0.21, 0.25 + s * 0.05 + rng.gauss(0, 0.05))), 2)))
            support = "INVASIVE_MV" if imv else ("HFNO" if on_support else "CONVENTIONAL_O2")
            if n == total and not plan.death_in_icu:
                support, imv = "CONVENTIONAL_O2", False
            crea = D(rng.randint(55, 120) + int(max(0.0, s - 5) * 35))
            rrt = crea > 330 and rng.random() < 0.5
            gcs = 15 if s < 4 else max(3, min(15, int(15 - s + rng.gauss(0, 1.5))))
            values = {
                "day_date": self.day(n),
                "pao2_value": pao2,
                "pao2_unit": "mmHg",
                "fio2_value": fio2,
                "fio2_unit": "fraction",
                "respiratory_support": support,
                "respiratory_failure_neurological": False,
                "platelets_value": D(max(25, int(260 - s * 14 + rng.gauss(0, 25)))),
                "platelets_unit": "G/L",
                "bilirubin_value": D(max(5, int(8 + max(0.0, s - 4) * 6 + rng.gauss(0, 4)))),
                "bilirubin_unit": "umol/L",
                "map_mmhg": max(55, min(95, int(82 - s * 1.5 + rng.gauss(0, 5)))),
                "norepinephrine_value": noradre,
                "norepinephrine_unit": "ug/kg/min",
                "norepinephrine_salt": "BASE" if noradre else "",
                "epinephrine_value": D("0"),
                "epinephrine_unit": "ug/kg/min",
                "dopamine_ug_kg_min": D("0"),
                "dobutamine_ug_kg_min": D("0"),
                "other_vasopressor": False,
                "gcs": gcs,
                "gcs_status": "PRESUMED" if imv and gcs < 9 else "ACTUAL",
                "creatinine_value": crea,
                "creatinine_unit": "umol/L",
                "urine_output_ml": rng.randint(400, 2600),
                "rrt": rrt,
                "rrt_mode": "CRRT" if rrt else "",
                "imv": imv,
                "airway": "TUBE" if imv else "",
                "niv": False,
                "hfno": support == "HFNO",
                "ecmo": False,
                "vasopressor": bool(noradre),
                "antimicrobial": n < 3 or any(0 <= n - o <= 7 for o in onsets),
                "cvc": n < total - 1 or s > 4,
                "arterial_catheter": imv or s > 5,
                "urinary_catheter": n < total,
                "corticosteroids": False,
                "lymphocytes_value": None,
                "temperature_max_c": D(
                    str(round(37.1 + rng.random() * 0.8 + (1.3 if n in onsets else 0), 1))
                ),
                "new_infection_suspected": n in onsets,
                "new_adverse_event": n in ae_days,
                "lst_limitation": plan.death_in_icu and n >= total - 1,
                "lst_limitation_date": self.day(total - 1)
                if plan.death_in_icu and n >= total - 1
                else None,
            }
            self.validated(DailyFollowUp, values, facts)

    def injections(self, plan: CoursePlan, facts: ParticipantFacts) -> list[Any]:
        done: list[Any] = []
        rng = self.rng
        for number, n in enumerate(INJECTION_DAYS, start=1):
            if not self.past(n) or (plan.death_day is not None and plan.death_day <= n):
                break
            in_icu = n <= plan.icu_discharge_day
            if number in plan.missed_injections or not in_icu:
                values: dict[str, Any] = {
                    "given": False,
                    "reason_not_given": "FORGOTTEN" if in_icu else "DISCHARGED",
                }
            else:
                values = {
                    "given": True,
                    "given_at": paris(self.day(n), rng.randint(8, 11), rng.choice((0, 15, 30))),
                    "kit_code": self.kit,
                    "volume_ml": D("0.50"),
                    "full_dose": True,
                    "injection_site": rng.choice(("DELTOID", "ANTERIOR_THIGH")),
                    "side": rng.choice(("LEFT", "RIGHT")),
                    "local_reaction_previous": False,
                }
            obj = self.validated(
                StudyDrugAdministration, {**values, "number": number}, facts, others=list(done)
            )
            done.append(obj)
        return done

    def d10(self, plan: CoursePlan, facts: ParticipantFacts, injections: list[Any]) -> None:
        if not self.past(11) or (plan.death_day is not None and plan.death_day < 9):
            return
        last = max((i.given_at for i in injections if i.given), default=None)
        sampled = plan.d10_sampled and (plan.death_day is None or plan.death_day > 10)
        if sampled:
            values: dict[str, Any] = {
                "sample_taken": True,
                "sampled_at": paris(self.day(10), 8),
                "mhla_dr_abc": self.rng.randint(3500, 22000),
                "method": "STANDARDISED_FLOW",
                "laboratory": f"LAB-{self.p.site.code}",
                "hours_to_analysis": D("2.0"),
                "lymphocytes_value": D(str(round(self.rng.uniform(0.4, 2.2), 2))),
                "lymphocytes_unit": "G/L",
            }
        else:
            reason = (
                "DEATH"
                if plan.death_day is not None and plan.death_day <= 11
                else self.rng.choice(("FORGOTTEN", "TECHNICAL"))
            )
            values = {"sample_taken": False, "not_done_reason": reason}
        self.validated(D10Biology, values, facts, last_injection_at=last)

    def infections(self, plan: CoursePlan, facts: ParticipantFacts) -> None:
        rng, done = self.rng, []
        categories, weights = zip(*INFECTION_CATEGORIES, strict=True)
        for number, n in enumerate(plan.infection_days, start=1):
            if not self.past(n):
                break
            category = rng.choices(categories, weights)[0]
            in_icu = n <= plan.icu_discharge_day
            values: dict[str, Any] = {
                "episode_number": number,
                "onset_date": self.day(n),
                "location": "STUDY_ICU" if in_icu else "WARD",
                "category": category,
                "septic_shock": rng.random() < 0.2,
                "microbiologically_documented": True,
                "specimens": ["BAL"] if category == "PN" else ["BLOOD"],
                "specimen_date": self.day(n),
                "pneumonia_level": "PN2" if category == "PN" else "",
                "pneumonia_criteria_met": True if category == "PN" else None,
                "bsi_origin": rng.choice(("CVC", "PULMONARY", "UNKNOWN"))
                if category == "BSI"
                else "",
                "cri_type": "CRI1" if category == "CRI" else "",
                "uti_type": "UTI_A" if category == "UTI" else "",
                "category_other": "Sinusitis" if category == "OTHER" else "",
                "outcome": "CURED" if self.past(n + 14) else "",
            }
            if values["bsi_origin"] == "CVC":
                values["cri_type"] = "CRI3"
            obj = self.validated(SecondaryInfection, values, facts, others=list(done))
            done.append(obj)
            self.validated(
                ConcomitantMedication,
                {
                    "category": "ANTIBACTERIAL",
                    "drug_name": rng.choice(("piperacillin-tazobactam", "meropenem", "cefepime")),
                    "dose": D(4),
                    "dose_unit": "g",
                    "frequency": "TID",
                    "route": "IV",
                    "start_date": self.day(n),
                    "stop_date": self.day(n + 7) if self.past(n + 7) else None,
                    "ongoing": not self.past(n + 7),
                    "indication": "EMPIRICAL",
                },
                facts,
            )

    def adverse_events(
        self, plan: CoursePlan, facts: ParticipantFacts, injections: list[Any]
    ) -> None:
        rng = self.rng
        first = min((i.given_at for i in injections if i.given), default=None)
        first_date = first.astimezone(STUDY_TIME_ZONE).date() if first else None
        number = 0
        for n, serious in plan.ae_days:
            if not self.past(n) or (first_date is None and not serious):
                continue
            if first_date is not None and self.day(n) < first_date and not serious:
                continue
            number += 1
            resolved = self.past(n + 6) and not (
                plan.death_day is not None and n >= plan.death_day - 1
            )
            fatal = serious and plan.death_day is not None and n >= plan.death_day - 1
            values: dict[str, Any] = {
                "ae_number": number,
                "term": rng.choice(SAE_TERMS if serious else AE_TERMS),
                "onset_date": self.day(n),
                "serious": serious,
                "severity_grade": 5
                if fatal
                else (rng.choice((3, 4)) if serious else rng.choice((1, 2, 2, 3))),
                "relationship": "NOT_RELATED" if rng.random() < 0.9 else "RELATED",
                "action": "DOSE_NOT_CHANGED" if n <= 9 else "NOT_APPLICABLE",
                "outcome": "FATAL" if fatal else ("RECOVERED" if resolved else "RECOVERING"),
                "ongoing": not resolved and not fatal,
                "end_date": self.day(plan.death_day)
                if fatal and plan.death_day is not None
                else (self.day(n + 6) if resolved else None),
            }
            if serious:
                # The SAE path of save_adverse_event: recorded within 24 h of awareness,
                # vigilance e-mailed minutes later, acknowledged by data management.
                recorded = paris(self.day(n), 18)
                values.update(
                    awareness_date=self.day(n),
                    sae_death=fatal,
                    sae_life_threatening=not fatal,
                    sae_hospitalisation=False,
                    sae_recorded_at=recorded,
                    sae_notified_at=recorded + timedelta(minutes=2),
                    acknowledged_at=recorded + timedelta(hours=20)
                    if recorded + timedelta(hours=20) < self.now
                    else None,
                )
            self.validated(AdverseEvent, values, facts, first_injection_date=first_date)

    def death_and_discharges(self, plan: CoursePlan, facts: ParticipantFacts) -> None:
        death = plan.death_day
        if death is not None and self.past(death):
            self.validated(
                Death,
                {
                    "death_date": self.day(death),
                    "death_at": paris(self.day(death), 4),
                    "cause": "MULTI_ORGAN_FAILURE" if plan.death_in_icu else "OTHER",
                    "cause_other": "" if plan.death_in_icu else "Died in rehabilitation",
                    "after_lst_withdrawal": plan.death_in_icu,
                    "source": "icu_stay" if plan.death_in_icu else "follow_up",
                },
                facts,
            )
            self.out.participant_status = "died"
        out = plan.hospital_discharge_day
        if out is not None and self.past(out):
            dead = death is not None and death <= out
            self.validated(
                HospitalDischarge,
                {
                    "admission_date": (self.icu_admitted - timedelta(days=2))
                    .astimezone(STUDY_TIME_ZONE)
                    .date(),
                    "discharge_date": self.day(death if dead else out),
                    "transfer_counted": False,
                    "vital_status": "DEAD" if dead else "ALIVE",
                    "destination": ""
                    if dead
                    else self.rng.choice(("HOME", "REHABILITATION", "HOME_WITH_HELP")),
                },
                facts,
            )

    def follow_ups(self, plan: CoursePlan, facts: ParticipantFacts) -> None:
        rng, death = self.rng, plan.death_day
        last_contact = None
        for visit, target in (("FU_D30", 30), ("FU_D60", 60), ("FU_D90", 90)):
            if death is not None and death <= target:
                break
            contact = target + rng.choice((0, 0, 1, 2, 3, 5))
            if death is not None:
                contact = min(contact, death - 1)
            # Recent windows: about half the sites have not entered the form yet.
            if not self.past(contact) or (not self.past(contact + 7) and rng.random() < 0.5):
                break
            values: dict[str, Any] = {
                "visit": visit,
                "contact_date": self.day(contact),
                "source": "IN_HOSPITAL"
                if plan.hospital_discharge_day is None or plan.hospital_discharge_day > target
                else "PATIENT_PHONE",
                "vital_status": "ALIVE",
                "last_known_alive_date": self.day(contact),
                "residence": "HOSPITAL_ACUTE"
                if plan.hospital_discharge_day is None or plan.hospital_discharge_day > contact
                else "HOME",
                "readmission": False,
                "new_infection": any(
                    last_contact is not None and last_contact < d <= contact
                    for d in plan.infection_days
                ),
                "new_sae": False,
            }
            if visit == "FU_D90":
                values.update(
                    {
                        name: rng.randint(1, 3)
                        for name in (
                            "eq5d_mobility",
                            "eq5d_self_care",
                            "eq5d_usual_activities",
                            "eq5d_pain",
                            "eq5d_anxiety",
                        )
                    },
                    eq5d_vas=rng.randint(45, 90),
                    eq5d_respondent="PATIENT",
                )
            self.validated(FollowUp, values, facts)
            last_contact = contact
            if visit == "FU_D90":
                self.validated(
                    EndOfStudy,
                    {
                        "end_status": "COMPLETED",
                        "end_date": self.day(contact),
                        "last_known_alive_date": self.day(contact),
                    },
                    facts,
                )
                self.out.participant_status = "completed"
        if death is not None and self.past(death + 3):
            self.validated(
                EndOfStudy,
                {
                    "end_status": "DEATH",
                    "end_date": self.day(death),
                    "last_known_alive_date": self.day(death),
                },
                facts,
            )
