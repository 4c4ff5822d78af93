"""SOFA 1996, APACHE II, CKD-EPI 2021 eGFR and prednisone equivalents (protocol.md §5).

Pure functions of raw values in SI units (Decimal), no Django. Bands are half-open at the
lower bound written in protocol.md; a value is never rounded before it is banded.

A missing input never scores 0: the affected component (and every total containing it) is
None. A component stays determined when the missing criterion cannot change it (protocol.md
§5: "a component is the worst of its criteria", so creatinine > 440 µmol/L scores renal 4
whatever the urine output). Lower and upper bounds are kept so that callers can tell when a
partial total already decides a threshold.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Final, Literal, TypeVar

from eligibility.units import PRECISION, creatinine_umol_l_to_mg_dl

Sex = Literal["M", "F"]

# ---------------------------------------------------------------------------------------------
# SOFA (Vincent 1996)

SOFA_COMPONENTS: Final = ("respiration", "coagulation", "liver", "cardiovascular", "cns", "renal")
SOFA_COMPONENT_MAX: Final = 4


@dataclass(frozen=True)
class SofaInputs:
    """Worst values of one SOFA assessment, SI units; None = missing."""

    pao2_mmhg: Decimal | None = None
    fio2: Decimal | None = None  # fraction 0.21–1.00
    respiratory_support: bool | None = None  # invasive or non-invasive ventilation, CPAP
    platelets_g_l: Decimal | None = None
    bilirubin_umol_l: Decimal | None = None
    map_mmhg: Decimal | None = None
    dopamine_ug_kg_min: Decimal | None = None
    dobutamine_ug_kg_min: Decimal | None = None
    epinephrine_ug_kg_min: Decimal | None = None
    norepinephrine_ug_kg_min: Decimal | None = None
    gcs: int | None = None
    creatinine_umol_l: Decimal | None = None
    urine_output_ml_24h: Decimal | None = None
    respiratory_failure_due_to_neurological_failure: bool | None = None


@dataclass(frozen=True)
class SofaScore:
    """One assessment. `components[name]` is None when its inputs do not determine it."""

    components: dict[str, int | None]
    total: int | None
    adjusted: int | None  # total minus respiration if of neurological origin (protocol.md §4)
    missing: tuple[str, ...]  # names of undetermined components (needed for `adjusted`)
    adjusted_min: int  # bounds of the adjusted score given the values present
    adjusted_max: int

    @property
    def complete(self) -> bool:
        return self.adjusted is not None


@dataclass(frozen=True)
class _Bounds:
    low: int
    high: int

    @property
    def value(self) -> int | None:
        return self.low if self.low == self.high else None


def _worst(criteria: Sequence[tuple[int | None, int]]) -> _Bounds:
    """Worst of criteria given as (points or None if missing, highest points possible)."""
    known = [points for points, _ in criteria if points is not None]
    low = max(known, default=0)
    high = max([low, *(ceiling for points, ceiling in criteria if points is None)])
    return _Bounds(low, high)


def sofa_respiration_points(pao2_mmhg: Decimal, fio2: Decimal, respiratory_support: bool) -> int:
    # Compare PaO₂ with threshold × FiO₂ rather than dividing: exact at every band edge.
    if pao2_mmhg >= 400 * fio2:
        return 0
    if pao2_mmhg >= 300 * fio2:
        return 1
    if pao2_mmhg >= 200 * fio2 or not respiratory_support:
        return 2  # without respiratory support PaO₂/FiO₂ < 200 still scores 2
    if pao2_mmhg >= 100 * fio2:
        return 3
    return 4


def sofa_coagulation_points(platelets_g_l: Decimal) -> int:
    for points, lower_bound in ((0, 150), (1, 100), (2, 50), (3, 20)):
        if platelets_g_l >= lower_bound:
            return points
    return 4


def sofa_liver_points(bilirubin_umol_l: Decimal) -> int:
    if bilirubin_umol_l < 20:
        return 0
    if bilirubin_umol_l < 33:
        return 1
    if bilirubin_umol_l < 102:
        return 2
    if bilirubin_umol_l <= 204:  # 102–204 is 3, only > 204 is 4
        return 3
    return 4


def sofa_map_points(map_mmhg: Decimal) -> int:
    return 0 if map_mmhg >= 70 else 1


def sofa_dopamine_points(dose: Decimal) -> int:
    if dose > 15:
        return 4
    if dose > 5:
        return 3
    return 2 if dose > 0 else 0


def sofa_dobutamine_points(dose: Decimal) -> int:
    return 2 if dose > 0 else 0  # any dose


def sofa_catecholamine_points(dose: Decimal) -> int:
    """Adrenaline (epinephrine) or noradrenaline (norepinephrine)."""
    if dose > Decimal("0.1"):
        return 4
    return 3 if dose > 0 else 0


def sofa_cns_points(gcs: int) -> int:
    if gcs >= 15:
        return 0
    if gcs >= 13:
        return 1
    if gcs >= 10:
        return 2
    if gcs >= 6:
        return 3
    return 4


def sofa_creatinine_points(creatinine_umol_l: Decimal) -> int:
    if creatinine_umol_l < 110:
        return 0
    if creatinine_umol_l < 171:
        return 1
    if creatinine_umol_l < 300:
        return 2
    if creatinine_umol_l <= 440:  # 300–440 is 3, only > 440 is 4
        return 3
    return 4


def sofa_urine_points(urine_output_ml_24h: Decimal) -> int:
    if urine_output_ml_24h < 200:
        return 4
    if urine_output_ml_24h < 500:
        return 3
    return 0


_V = TypeVar("_V")


def _optional(function: Callable[[_V], int], value: _V | None) -> int | None:
    return None if value is None else function(value)


def _respiration(inputs: SofaInputs) -> _Bounds:
    if inputs.pao2_mmhg is None or inputs.fio2 is None:
        return _Bounds(0, SOFA_COMPONENT_MAX)
    if inputs.respiratory_support is None:
        without = sofa_respiration_points(inputs.pao2_mmhg, inputs.fio2, False)
        with_support = sofa_respiration_points(inputs.pao2_mmhg, inputs.fio2, True)
        return _Bounds(without, with_support)
    points = sofa_respiration_points(inputs.pao2_mmhg, inputs.fio2, inputs.respiratory_support)
    return _Bounds(points, points)


def _single(points: int | None) -> _Bounds:
    return _Bounds(0, SOFA_COMPONENT_MAX) if points is None else _Bounds(points, points)


def _sofa_bounds(inputs: SofaInputs) -> dict[str, _Bounds]:
    with localcontext(prec=PRECISION):
        return {
            "respiration": _respiration(inputs),
            "coagulation": _single(_optional(sofa_coagulation_points, inputs.platelets_g_l)),
            "liver": _single(_optional(sofa_liver_points, inputs.bilirubin_umol_l)),
            "cardiovascular": _worst(
                [
                    (_optional(sofa_map_points, inputs.map_mmhg), 1),
                    (_optional(sofa_dopamine_points, inputs.dopamine_ug_kg_min), 4),
                    (_optional(sofa_dobutamine_points, inputs.dobutamine_ug_kg_min), 2),
                    (_optional(sofa_catecholamine_points, inputs.epinephrine_ug_kg_min), 4),
                    (_optional(sofa_catecholamine_points, inputs.norepinephrine_ug_kg_min), 4),
                ]
            ),
            "cns": _single(_optional(sofa_cns_points, inputs.gcs)),
            "renal": _worst(
                [
                    (_optional(sofa_creatinine_points, inputs.creatinine_umol_l), 4),
                    (_optional(sofa_urine_points, inputs.urine_output_ml_24h), 4),
                ]
            ),
        }


def sofa(inputs: SofaInputs) -> SofaScore:
    bounds = _sofa_bounds(inputs)
    components = {name: bounds[name].value for name in SOFA_COMPONENTS}
    total = None if None in components.values() else sum(components.values())  # type: ignore[arg-type]
    others = [bounds[name] for name in SOFA_COMPONENTS if name != "respiration"]
    others_low = sum(b.low for b in others)
    others_high = sum(b.high for b in others)
    respiration = bounds["respiration"]
    neurological = inputs.respiratory_failure_due_to_neurological_failure
    if neurological is True:
        low, high = others_low, others_high
        needed = [name for name in SOFA_COMPONENTS if name != "respiration"]
    elif neurological is False:
        low, high = others_low + respiration.low, others_high + respiration.high
        needed = list(SOFA_COMPONENTS)
    else:
        # Unknown origin: subtracting or not is only irrelevant when respiration scores 0.
        low, high = others_low, others_high + respiration.high
        needed = list(SOFA_COMPONENTS)
    missing = tuple(name for name in needed if components[name] is None)
    return SofaScore(
        components=components,
        total=total,
        adjusted=low if low == high else None,
        missing=missing,
        adjusted_min=low,
        adjusted_max=high,
    )


# ---------------------------------------------------------------------------------------------
# APACHE II (Knaus 1985)

# Each table lists (lower bound, points) from the highest band down; a value scores the points
# of the first band whose lower bound it reaches (half-open at the lower bound); below the last
# bound it scores `floor_points`.
_Band = tuple[Decimal, int]


def _bands(*pairs: tuple[str, int]) -> tuple[_Band, ...]:
    return tuple((Decimal(bound), points) for bound, points in pairs)


@dataclass(frozen=True)
class _Table:
    bands: tuple[_Band, ...]
    floor_points: int

    def points(self, value: Decimal) -> int:
        for lower_bound, points in self.bands:
            if value >= lower_bound:
                return points
        return self.floor_points


APACHE_TABLES: Final[dict[str, _Table]] = {
    # ≥ 41: 4; 39–40.9: 3; 38.5–38.9: 1; 36–38.4: 0; 34–35.9: 1; 32–33.9: 2; 30–31.9: 3; else 4
    "temperature_c": _Table(
        _bands(("41", 4), ("39", 3), ("38.5", 1), ("36", 0), ("34", 1), ("32", 2), ("30", 3)), 4
    ),
    "map_mmhg": _Table(_bands(("160", 4), ("130", 3), ("110", 2), ("70", 0), ("50", 2)), 4),
    "heart_rate": _Table(
        _bands(("180", 4), ("140", 3), ("110", 2), ("70", 0), ("55", 2), ("40", 3)), 4
    ),
    "respiratory_rate": _Table(
        _bands(("50", 4), ("35", 3), ("25", 1), ("12", 0), ("10", 1), ("6", 2)), 4
    ),
    "arterial_ph": _Table(
        _bands(("7.7", 4), ("7.6", 3), ("7.5", 1), ("7.33", 0), ("7.25", 2), ("7.15", 3)),
        4,
    ),
    "sodium_mmol_l": _Table(
        _bands(("180", 4), ("160", 3), ("155", 2), ("150", 1), ("130", 0), ("120", 2), ("111", 3)),
        4,
    ),
    "potassium_mmol_l": _Table(
        _bands(("7", 4), ("6", 3), ("5.5", 1), ("3.5", 0), ("3", 1), ("2.5", 2)), 4
    ),
    "creatinine_umol_l": _Table(_bands(("305", 4), ("177", 3), ("133", 2), ("53", 0)), 2),
    "hematocrit_pct": _Table(_bands(("60", 4), ("50", 2), ("46", 1), ("30", 0), ("20", 2)), 4),
    "wbc_g_l": _Table(_bands(("40", 4), ("20", 2), ("15", 1), ("3", 0), ("1", 2)), 4),
    # A–aDO₂ (FiO₂ ≥ 0.5): ≥ 500: 4; 350–499: 3; 200–349: 2; < 200: 0
    "aado2_mmhg": _Table(_bands(("500", 4), ("350", 3), ("200", 2)), 0),
}

APACHE_VARIABLES: Final = (
    "temperature_c",
    "map_mmhg",
    "heart_rate",
    "respiratory_rate",
    "oxygenation",
    "arterial_ph",
    "sodium_mmol_l",
    "potassium_mmol_l",
    "creatinine_umol_l",
    "hematocrit_pct",
    "wbc_g_l",
)

CHRONIC_HEALTH_POINTS: Final[dict[str, int]] = {
    "none": 0,
    "nonoperative": 5,
    "emergency_postoperative": 5,
    "elective_postoperative": 2,
}

AADO2_FIO2_THRESHOLD: Final = Decimal("0.5")
ATMOSPHERIC_FACTOR_MMHG: Final = Decimal(713)  # FiO₂ × (760 − 47) at sea level
RESPIRATORY_QUOTIENT: Final = Decimal("0.8")


@dataclass(frozen=True)
class ArterialGas:
    fio2: Decimal  # fraction
    pao2_mmhg: Decimal
    paco2_mmhg: Decimal | None = None  # needed only when FiO₂ ≥ 0.5


@dataclass(frozen=True)
class ApacheIIInputs:
    """Values of the 24 h before the assessment, SI units.

    Each physiological variable takes any number of values (the JSON gives the single worst
    value; a form may give the highest and the lowest): the variable scores the maximum of
    their points. An empty tuple means missing.
    """

    age: int | None = None
    temperature_c: tuple[Decimal, ...] = ()
    map_mmhg: tuple[Decimal, ...] = ()
    heart_rate: tuple[Decimal, ...] = ()
    respiratory_rate: tuple[Decimal, ...] = ()
    arterial_gases: tuple[ArterialGas, ...] = ()
    arterial_ph: tuple[Decimal, ...] = ()
    sodium_mmol_l: tuple[Decimal, ...] = ()
    potassium_mmol_l: tuple[Decimal, ...] = ()
    creatinine_umol_l: tuple[Decimal, ...] = ()
    acute_renal_failure: bool | None = None
    hematocrit_pct: tuple[Decimal, ...] = ()
    wbc_g_l: tuple[Decimal, ...] = ()
    gcs: tuple[int, ...] = ()
    chronic_health: str | None = None  # a key of CHRONIC_HEALTH_POINTS


@dataclass(frozen=True)
class ApacheIIScore:
    physiology: dict[str, int | None]  # APACHE_VARIABLES → points (None if missing)
    glasgow: int | None  # 15 − GCS
    age: int | None
    chronic_health: int | None
    acute_physiology: int | None  # physiology + Glasgow
    total: int | None
    missing: tuple[str, ...]
    total_min: int  # sum of the points known so far (each missing part counts 0 here)


def apache_aado2_mmhg(gas: ArterialGas) -> Decimal:
    """A–aDO₂ = FiO₂ × 713 − PaCO₂ / 0.8 − PaO₂ (protocol.md §5)."""
    if gas.paco2_mmhg is None:
        raise ValueError("PaCO₂ is needed for A–aDO₂")
    with localcontext(prec=PRECISION):
        return (
            gas.fio2 * ATMOSPHERIC_FACTOR_MMHG
            - gas.paco2_mmhg / RESPIRATORY_QUOTIENT
            - (gas.pao2_mmhg)
        )


def apache_pao2_points(pao2_mmhg: Decimal) -> int:
    # > 70: 0; 61–70: 1; 55–60: 3; < 55: 4. "> 70" is explicit, so exactly 70 scores 1.
    if pao2_mmhg > 70:
        return 0
    if pao2_mmhg >= 61:
        return 1
    if pao2_mmhg >= 55:
        return 3
    return 4


def apache_oxygenation_points(gas: ArterialGas) -> int | None:
    """A–aDO₂ points when FiO₂ ≥ 0.5, else PaO₂ points; None if PaCO₂ is needed and missing."""
    if gas.fio2 >= AADO2_FIO2_THRESHOLD:
        if gas.paco2_mmhg is None:
            return None
        return APACHE_TABLES["aado2_mmhg"].points(apache_aado2_mmhg(gas))
    return apache_pao2_points(gas.pao2_mmhg)


def apache_variable_points(variable: str, values: Sequence[Decimal]) -> int | None:
    """Worst (highest) points of a variable over its values; None when there is no value."""
    if not values:
        return None
    table = APACHE_TABLES[variable]
    return max(table.points(value) for value in values)


def apache_age_points(age: int) -> int:
    if age >= 75:
        return 6
    if age >= 65:
        return 5
    if age >= 55:
        return 3
    if age >= 45:
        return 2
    return 0


def apache_glasgow_points(gcs: int) -> int:
    return 15 - gcs


def _max_or_none(values: Iterable[int | None]) -> int | None:
    items = list(values)
    if not items or None in items:
        return None
    return max(items)  # type: ignore[type-var]


def apache_ii(inputs: ApacheIIInputs) -> ApacheIIScore:
    physiology: dict[str, int | None] = {}
    known_lower: dict[str, int] = {}
    with localcontext(prec=PRECISION):
        for variable in APACHE_VARIABLES:
            if variable == "oxygenation":
                points = _max_or_none(apache_oxygenation_points(g) for g in inputs.arterial_gases)
                known = [p for g in inputs.arterial_gases if (p := apache_oxygenation_points(g))]
                known_lower[variable] = max(known, default=0)
            elif variable == "creatinine_umol_l":
                base = apache_variable_points(variable, inputs.creatinine_umol_l)
                known_lower[variable] = base or 0
                if base is None:
                    points = None
                elif inputs.acute_renal_failure is None:
                    points = 0 if base == 0 else None  # doubling 0 changes nothing
                else:
                    points = base * 2 if inputs.acute_renal_failure else base
            else:
                points = apache_variable_points(variable, getattr(inputs, variable))
                known_lower[variable] = points or 0
            physiology[variable] = points
    glasgow = max((apache_glasgow_points(g) for g in inputs.gcs), default=None)
    age = None if inputs.age is None else apache_age_points(inputs.age)
    chronic = (
        None if inputs.chronic_health is None else CHRONIC_HEALTH_POINTS[inputs.chronic_health]
    )
    missing = tuple(
        [name for name, points in physiology.items() if points is None]
        + [
            name
            for name, points in (("gcs", glasgow), ("age", age), ("chronic_health", chronic))
            if points is None
        ]
    )
    acute = None
    if glasgow is not None and None not in physiology.values():
        acute = sum(physiology.values()) + glasgow  # type: ignore[arg-type]
    total = None if acute is None or age is None or chronic is None else acute + age + chronic
    total_min = sum(
        p if p is not None else known_lower[name] for name, p in physiology.items()
    ) + sum(p or 0 for p in (glasgow, age, chronic))
    return ApacheIIScore(
        physiology=physiology,
        glasgow=glasgow,
        age=age,
        chronic_health=chronic,
        acute_physiology=acute,
        total=total,
        missing=missing,
        total_min=total_min,
    )


# ---------------------------------------------------------------------------------------------
# eGFR, CKD-EPI 2021 (race-free)

_CKD_EPI: Final[dict[str, tuple[Decimal, Decimal, Decimal]]] = {
    # sex: (κ, α, sex factor)
    "F": (Decimal("0.7"), Decimal("-0.241"), Decimal("1.012")),
    "M": (Decimal("0.9"), Decimal("-0.302"), Decimal(1)),
}


def egfr_ckd_epi_2021(creatinine_umol_l: Decimal, age: int, sex: Sex) -> Decimal:
    """Unrounded eGFR in ml/min/1.73 m² (Decimal powers are correctly rounded to 50 digits)."""
    kappa, alpha, sex_factor = _CKD_EPI[sex]
    with localcontext(prec=PRECISION):
        ratio = creatinine_umol_l_to_mg_dl(creatinine_umol_l) / kappa
        one = Decimal(1)
        return (
            Decimal(142)
            * min(ratio, one) ** alpha
            * max(ratio, one) ** Decimal("-1.200")
            * Decimal("0.9938") ** age
            * sex_factor
        )


# ---------------------------------------------------------------------------------------------
# Prednisone equivalents: mg of the drug equal to 5 mg prednisone (protocol.md §5).

PREDNISONE_REFERENCE_MG: Final = Decimal(5)
GLUCOCORTICOID_EQUIVALENT_MG: Final[dict[str, Decimal | None]] = {
    "prednisone": Decimal(5),
    "prednisolone": Decimal(5),
    "methylprednisolone": Decimal(4),
    "triamcinolone": Decimal(4),
    "hydrocortisone": Decimal(20),
    "cortisone": Decimal(25),
    "dexamethasone": Decimal("0.75"),
    "betamethasone": Decimal("0.75"),
    "fludrocortisone": None,  # mineralocorticoid: counts as 0 mg prednisone
}
CORTICOSTEROIDS: Final = tuple(GLUCOCORTICOID_EQUIVALENT_MG)


def prednisone_equivalent_mg(drug: str, daily_dose_mg: Decimal) -> Decimal:
    """Prednisone-equivalent daily dose (KeyError for an unknown drug).

    For comparisons use `prednisone_equivalent_exceeds`, which is exact even for
    dexamethasone (5 / 0.75 does not terminate in decimal).
    """
    equivalent = GLUCOCORTICOID_EQUIVALENT_MG[drug]
    if equivalent is None:
        return Decimal(0)
    with localcontext(prec=PRECISION):
        return daily_dose_mg * PREDNISONE_REFERENCE_MG / equivalent


def prednisone_equivalent_exceeds(
    drug: str, daily_dose_mg: Decimal, weight_kg: Decimal, limit_mg_per_kg: Decimal
) -> bool:
    """dose × 5 / equivalent / weight > limit, evaluated by cross-multiplication (exact)."""
    equivalent = GLUCOCORTICOID_EQUIVALENT_MG[drug]
    if equivalent is None:
        return False
    with localcontext(prec=PRECISION):
        return daily_dose_mg * PREDNISONE_REFERENCE_MG > limit_mg_per_kg * weight_kg * equivalent
