"""One synthetic participant's clinical course, written through the real CRF services.

`plan_course` draws a plausible course from a seeded `random.Random` (pure, no query):
ICU stay after D0, death, SOFA trajectory, injections, infections, AEs, follow-ups, end
of study. `CourseWriter.events` turns it into the actions a site team would have taken,
each at the moment it would have been entered (a daily form the next morning, an SAE the
day it happened, its outcome when known…): `(moment, call of a crf.services function)`.
`write_course` runs them in time order on the simulated clock (demo.clock), dropping what
lies in the future: a participant randomized last week is still in the ICU.

Every value goes through the same service as a form of the site: rules (a hard finding
raises CrfRefused: a bug of the generator, never silenced), derived fields, flags,
optimistic lock, field history and audit event.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from crf import services
from crf.models import AdverseEvent, IcuStay
from platinium.lib.study_time import STUDY_TIME_ZONE, d0_from_randomized_at, paris_date

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
    # How a participant alive at the end leaves the study early: "", "LOST", "WITHDRAWN".
    early_end: str = ""
    early_end_day: int = 0


def plan_course(rng: random.Random) -> CoursePlan:
    """A course drawn from rough ICU figures: ~22 % die by D90, two thirds of them in the
    ICU; ICU stay after D0 of 3–45 days (median ~12); ~35 % have ≥ 1 secondary infection;
    ~3 % lost to follow-up, ~3 % withdraw consent."""
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
    plan = CoursePlan(
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
    draw = rng.random()
    if death_day is None and readmission is None and draw < 0.06:
        plan.early_end = "LOST" if draw < 0.03 else "WITHDRAWN"
        # Withdrawal after the ICU (the forms up to then are kept); lost after D60.
        plan.early_end_day = (
            rng.randint(62, 75) if plan.early_end == "LOST" else rng.randint(icu_days + 2, 55)
        )
    return plan


@dataclass(order=True)
class Event:
    moment: datetime
    order: int
    label: str = field(compare=False)
    call: Callable[[], Any] = field(compare=False)


@dataclass
class Staff:
    """Who enters what: the site's investigator (clinical forms), data management (D10
    biology, SAE acknowledgement)."""

    investigator: Any
    data_manager: Any


class CourseWriter:
    """The events of one participant's course (see the module docstring)."""

    def __init__(
        self,
        participant: Any,
        *,
        randomized_at: datetime,
        kit_code: str,
        staff: Staff,
        rng: random.Random,
    ) -> None:
        self.p, self.t_r, self.kit, self.rng = participant, randomized_at, kit_code, rng
        self.by, self.dm = staff.investigator, staff.data_manager
        self.d0 = d0_from_randomized_at(randomized_at)
        self.weight = D(rng.randint(52, 118))
        self.sex = rng.choice("MMMF")  # ICU cohorts are ~60–65 % men
        self.events: list[Event] = []
        self.refs: dict[str, Any] = {}  # rows created by an earlier event, updated later

    # ------------------------------------------------------------------ helpers
    def day(self, n: int) -> date:
        return self.d0 + timedelta(days=n)

    def at(self, moment: datetime, label: str, call: Callable[[], Any]) -> None:
        self.events.append(Event(moment, len(self.events), label, call))

    def _keep(self, key: str, call: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            result = call()
            self.refs[key] = getattr(result, "obj", result)
            return result

        return run

    def last_day(self, plan: CoursePlan) -> int:
        """The last study day with data: death, early end, or beyond D90."""
        if plan.death_day is not None:
            return plan.death_day
        if plan.early_end:
            return plan.early_end_day
        return 200

    # ------------------------------------------------------------------ the course
    def build(self, plan: CoursePlan, *, icu_admitted: datetime) -> list[Event]:
        self.icu_admitted = icu_admitted
        self.baseline()
        self.icu_stays(plan)
        self.daily(plan)
        self.injections(plan)
        self.d10(plan)
        self.infections(plan)
        self.adverse_events(plan)
        self.death_and_discharges(plan)
        self.follow_ups(plan)
        if plan.deviation:
            data = {
                "deviation_date": self.day(self.rng.choice((3, 5, 7))),
                "category": "IMP_ADMINISTRATION",
                "severity": "MINOR",
                "detected_by": "SITE",
                "description": "Injection given outside the planned time window.",
                "corrective_action": "Team reminded of the injection schedule.",
            }
            self.at(
                paris(self.day(12), 14),
                "deviation",
                lambda: services.save_protocol_deviation(self.p, by=self.by, data=data),
            )
        events = sorted(self.events)
        if plan.early_end:
            # Nothing is collected after a withdrawal / the last contact but the end form.
            cut = paris(self.day(plan.early_end_day), 23)
            events = [e for e in events if e.moment <= cut or e.label == "end of study"]
        return events

    def baseline(self) -> None:
        rng = self.rng
        age = rng.randint(28, 86)
        data = {
            "birth_month": rng.randint(1, 12),
            "birth_year": self.d0.year - age,
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
        }
        self.at(
            self.t_r + timedelta(hours=2),
            "baseline",
            lambda: services.save_baseline(self.p, by=self.by, data=data),
        )

    def _discharge(self, number: int, data: dict[str, Any]) -> Any:
        stay = IcuStay.objects.current().get(participant=self.p, stay_number=number)
        return services.record_icu_discharge(
            stay, by=self.by, data=data, expected_version=stay.version
        )

    def icu_stays(self, plan: CoursePlan) -> None:
        n = plan.icu_discharge_day
        end = paris(self.day(n), 4 if plan.death_in_icu else 15)
        self.at(
            self.t_r + timedelta(hours=2, minutes=5),
            "ICU stay 1",
            lambda: services.save_icu_stay(
                self.p, by=self.by, data={"admitted_at": self.icu_admitted}
            ),
        )
        discharge: dict[str, Any] = {"discharged_at": end}
        if plan.death_in_icu:
            discharge.update(
                vital_status="DEAD",
                death_at=end,
                death_cause=self.rng.choice(
                    ("MULTI_ORGAN_FAILURE", "REFRACTORY_SHOCK", "HYPOXAEMIA")
                ),
                death_after_lst_withdrawal=self.rng.random() < 0.6,
            )
        else:
            discharge.update(
                vital_status="ALIVE",
                destination=self.rng.choice(("WARD_SAME_HOSPITAL", "STEP_DOWN", "REHABILITATION")),
            )
        if n <= self.last_day(plan):
            self.at(
                end + timedelta(hours=1),
                "ICU discharge 1",
                lambda: self._discharge(1, discharge),
            )
        if plan.readmission:
            a, b = plan.readmission
            admitted, left = paris(self.day(a), 16), paris(self.day(b), 11)
            self.at(
                admitted + timedelta(hours=1),
                "ICU stay 2",
                lambda: services.save_icu_stay(self.p, by=self.by, data={"admitted_at": admitted}),
            )
            self.at(
                left + timedelta(hours=1),
                "ICU discharge 2",
                lambda: self._discharge(
                    2,
                    {
                        "discharged_at": left,
                        "vital_status": "ALIVE",
                        "destination": "WARD_SAME_HOSPITAL",
                    },
                ),
            )

    def _icu_days(self, plan: CoursePlan) -> list[int]:
        days = list(range(0, plan.icu_discharge_day + 1))
        if plan.readmission:
            a, b = plan.readmission
            days += list(range(a, b + 1))
        return [n for n in days if n <= 90]

    def daily(self, plan: CoursePlan) -> None:
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
            data = {
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
            # The day's form is completed the next morning (the death day: that morning).
            entered = (
                paris(self.day(n), 9)
                if plan.death_in_icu and n == total
                else paris(self.day(n + 1), 9)
            )
            day = self.day(n)
            self.at(
                entered,
                f"daily D{n}",
                lambda day=day, data=data: services.save_daily(
                    self.p, day_date=day, by=self.by, data=data
                ),
            )

    def injections(self, plan: CoursePlan) -> None:
        rng = self.rng
        for number, n in enumerate(INJECTION_DAYS, start=1):
            if plan.death_day is not None and plan.death_day <= n:
                break
            if n > self.last_day(plan):
                break
            in_icu = n <= plan.icu_discharge_day
            if number in plan.missed_injections or not in_icu:
                data: dict[str, Any] = {
                    "given": False,
                    "reason_not_given": "FORGOTTEN" if in_icu else "DISCHARGED",
                }
                entered = paris(self.day(n), 20)
            else:
                given_at = paris(self.day(n), rng.randint(8, 11), rng.choice((0, 15, 30)))
                data = {
                    "given": True,
                    "given_at": given_at,
                    "kit_code": self.kit,
                    "volume_ml": D("0.50"),
                    "full_dose": True,
                    "injection_site": rng.choice(("DELTOID", "ANTERIOR_THIGH")),
                    "side": rng.choice(("LEFT", "RIGHT")),
                    "local_reaction_previous": False,
                }
                entered = given_at + timedelta(minutes=30)
            self.at(
                entered,
                f"injection {number}",
                lambda number=number, data=data: services.save_injection(
                    self.p, number=number, by=self.by, data=data
                ),
            )

    def d10(self, plan: CoursePlan) -> None:
        if plan.death_day is not None and plan.death_day < 9:
            return
        if self.last_day(plan) < 11:
            return
        sampled = plan.d10_sampled and (plan.death_day is None or plan.death_day > 10)
        if sampled:
            data: dict[str, Any] = {
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
            data = {"sample_taken": False, "not_done_reason": reason}
        # Day-10 results are entered by data management (randomization.md).
        self.at(
            paris(self.day(11), 15),
            "D10 biology",
            lambda: services.save_d10_biology(self.p, by=self.dm, data=data),
        )

    def infections(self, plan: CoursePlan) -> None:
        rng = self.rng
        categories, weights = zip(*INFECTION_CATEGORIES, strict=True)
        for number, n in enumerate(plan.infection_days, start=1):
            if n > self.last_day(plan):
                break
            category = rng.choices(categories, weights)[0]
            in_icu = n <= plan.icu_discharge_day
            data: dict[str, Any] = {
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
                "outcome": "",
            }
            if data["bsi_origin"] == "CVC":
                data["cri_type"] = "CRI3"
            key = f"infection-{number}"
            self.at(
                paris(self.day(n + 1), 11),
                key,
                self._keep(
                    key,
                    lambda data=data: services.save_infection(self.p, by=self.by, data=data),
                ),
            )
            cured = n + 14
            if cured <= self.last_day(plan):
                # The outcome is known two weeks later: an edit of the saved episode.
                self.at(
                    paris(self.day(cured), 12),
                    f"{key} outcome",
                    lambda key=key: services.save_infection(
                        self.p,
                        by=self.by,
                        data={"outcome": "CURED"},
                        instance=self.refs[key],
                        expected_version=self.refs[key].version,
                        reason="Outcome known",
                    ),
                )
            stop = n + 7
            cm: dict[str, Any] = {
                "category": "ANTIBACTERIAL",
                "drug_name": rng.choice(("piperacillin-tazobactam", "meropenem", "cefepime")),
                "dose": D(4),
                "dose_unit": "g",
                "frequency": "TID",
                "route": "IV",
                "start_date": self.day(n),
                "stop_date": self.day(stop),
                "ongoing": False,
                "indication": "EMPIRICAL",
            }
            self.at(
                paris(self.day(stop + 1), 11),
                f"{key} antibiotic",
                lambda cm=cm: services.save_concomitant_medication(self.p, by=self.by, data=cm),
            )

    def adverse_events(self, plan: CoursePlan) -> None:
        rng = self.rng
        given = [
            n
            for number, n in enumerate(INJECTION_DAYS, start=1)
            if number not in plan.missed_injections
            and n <= plan.icu_discharge_day
            and (plan.death_day is None or n < plan.death_day)
        ]
        first = self.day(given[0]) if given else None
        for index, (n, serious) in enumerate(plan.ae_days):
            if n > self.last_day(plan) or (first is None and not serious):
                continue
            if first is not None and self.day(n) < first and not serious:
                continue
            fatal = serious and plan.death_day is not None and n >= plan.death_day - 1
            resolved_day = None if fatal else n + 6
            data: dict[str, Any] = {
                "term": rng.choice(SAE_TERMS if serious else AE_TERMS),
                "onset_date": self.day(n),
                "serious": serious,
                "severity_grade": rng.choice((3, 4)) if serious else rng.choice((1, 2, 2, 3)),
                "relationship": "NOT_RELATED" if rng.random() < 0.9 else "RELATED",
                "action": "DOSE_NOT_CHANGED" if n <= 9 else "NOT_APPLICABLE",
                "outcome": "RECOVERING",
                "ongoing": True,
                "end_date": None,
            }
            if serious:
                data.update(
                    awareness_date=self.day(n),
                    sae_death=False,
                    sae_life_threatening=True,
                    sae_hospitalisation=False,
                )
            key = f"ae-{index}"
            # Entered the day it happened (an SAE within 24 h of awareness).
            entered = paris(self.day(n), 18)
            self.at(
                entered,
                key,
                self._keep(
                    key,
                    lambda data=data: services.save_adverse_event(self.p, by=self.by, data=data),
                ),
            )
            if serious:
                acknowledged = entered + timedelta(hours=20)
                self.at(
                    acknowledged,
                    f"{key} acknowledged",
                    lambda key=key: services.acknowledge_sae(self.refs[key], by=self.dm),
                )
            if fatal and plan.death_day is not None:
                # Death is a seriousness criterion and grade 5 once the death is recorded.
                end: dict[str, Any] = {
                    "severity_grade": 5,
                    "sae_death": True,
                    "outcome": "FATAL",
                    "ongoing": False,
                    "end_date": self.day(plan.death_day),
                }
                when = paris(self.day(plan.death_day + 1), 10, 30)
            elif resolved_day is not None and resolved_day <= self.last_day(plan):
                end = {"outcome": "RECOVERED", "ongoing": False, "end_date": self.day(n + 6)}
                when = paris(self.day(resolved_day + 1), 10)
            else:
                continue
            # The outcome is an edit of the saved AE (an SAE: a follow-up report).
            self.at(
                when,
                f"{key} outcome",
                lambda key=key, end=end: self._update_ae(key, end),
            )

    def _update_ae(self, key: str, end: dict[str, Any]) -> Any:
        ae = AdverseEvent.objects.get(pk=self.refs[key].pk)
        return services.save_adverse_event(
            self.p,
            by=self.by,
            data=end,
            instance=ae,
            expected_version=ae.version,
            reason="Outcome known",
        )

    def death_and_discharges(self, plan: CoursePlan) -> None:
        death = plan.death_day
        if death is not None and not plan.death_in_icu:
            self.at(
                paris(self.day(death + 1), 10),
                "death",
                lambda: services.record_death(
                    self.p,
                    by=self.by,
                    death_date=self.day(death),
                    death_at=paris(self.day(death), 4),
                    cause="OTHER",
                    cause_other="Died after the ICU",
                    after_lst_withdrawal=False,
                    source="follow_up",
                ),
            )
        out = plan.hospital_discharge_day
        if out is not None and out <= self.last_day(plan):
            dead = death is not None and death <= out
            data = {
                "admission_date": paris_date(self.icu_admitted - timedelta(days=2)),
                "discharge_date": self.day(death if dead else out),
                "transfer_counted": False,
                "vital_status": "DEAD" if dead else "ALIVE",
                "destination": ""
                if dead
                else self.rng.choice(("HOME", "REHABILITATION", "HOME_WITH_HELP")),
            }
            self.at(
                paris(self.day((death if dead else out) + 1), 11),
                "hospital discharge",
                lambda: services.save_hospital_discharge(self.p, by=self.by, data=data),
            )
        if death is not None:
            eos = {
                "end_status": "DEATH",
                "end_date": self.day(death),
                "last_known_alive_date": self.day(death),
            }
            self.at(
                paris(self.day(death + 3), 15),
                "end of study",
                lambda: services.save_end_of_study(self.p, by=self.by, data=eos),
            )

    def follow_ups(self, plan: CoursePlan) -> None:
        rng, death = self.rng, plan.death_day
        last_contact = None
        for visit, target in (("FU_D30", 30), ("FU_D60", 60), ("FU_D90", 90)):
            if death is not None and death <= target:
                break
            if plan.early_end and plan.early_end_day <= target:
                break
            contact = target + rng.choice((0, 0, 1, 2, 3, 5))
            if death is not None:
                contact = min(contact, death - 1)
            home = plan.hospital_discharge_day is not None and (
                plan.hospital_discharge_day <= contact
            )
            data: dict[str, Any] = {
                "contact_date": self.day(contact),
                "source": "PATIENT_PHONE" if home else "IN_HOSPITAL",
                "vital_status": "ALIVE",
                "last_known_alive_date": self.day(contact),
                "residence": "HOME" if home else "HOSPITAL_ACUTE",
                "readmission": False,
                "new_infection": any(
                    last_contact is not None and last_contact < d <= contact
                    for d in plan.infection_days
                ),
                "new_sae": False,
            }
            if visit == "FU_D90":
                data.update(
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
            # Sites enter a follow-up within a week of the call.
            entered = paris(self.day(contact + rng.choice((1, 2, 6))), 14)
            self.at(
                entered,
                visit,
                lambda visit=visit, data=data: services.save_follow_up(
                    self.p, visit=visit, by=self.by, data=data
                ),
            )
            last_contact = contact
            if visit == "FU_D90":
                eos = {
                    "end_status": "COMPLETED",
                    "end_date": self.day(contact),
                    "last_known_alive_date": self.day(contact),
                }
                self.at(
                    entered + timedelta(minutes=10),
                    "end of study",
                    lambda eos=eos: services.save_end_of_study(self.p, by=self.by, data=eos),
                )
        if plan.early_end:
            self._early_end(plan, last_contact)

    def _early_end(self, plan: CoursePlan, last_contact: int | None) -> None:
        n = plan.early_end_day
        if plan.early_end == "LOST":
            alive = last_contact if last_contact is not None else plan.icu_discharge_day
            eos: dict[str, Any] = {
                "end_status": "LOST_TO_FOLLOW_UP",
                "end_date": self.day(n + 30),
                "last_known_alive_date": self.day(alive),
                "contact_attempt_dates": [self.day(n + k) for k in (20, 25, 30)],
            }
            when = paris(self.day(n + 31), 11)
        else:
            eos = {
                "end_status": self.rng.choice(("WITHDRAWN_PATIENT", "WITHDRAWN_PROXY")),
                "end_date": self.day(n),
                "last_known_alive_date": self.day(n),
                "follow_up_allowed": False,
                "objects_to_data_use": False,
            }
            when = paris(self.day(n), 16)
        self.at(
            when,
            "end of study",
            lambda: services.save_end_of_study(self.p, by=self.by, data=eos),
        )
