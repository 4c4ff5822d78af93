"""Hard limits (impossible: refuse) and soft limits (implausible: warn) of the screening inputs.

Values from crf-spec.md §2.1, §2.3 and §2.4, in the SI unit the engine computes in. Where the
CRF gives no limit, "decided here" says so. protocol.md wins on conflicts: the CRF's hard
limit "age 18–120" would make I1 unable to fail on age, so age is refused only outside 0–120
and an age under 18 fails I1.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Final


@dataclass(frozen=True)
class Limit:
    unit: str
    hard_min: Decimal | None = None
    hard_max: Decimal | None = None
    soft_below: Decimal | None = None  # warn when the value is strictly below
    soft_above: Decimal | None = None  # warn when the value is strictly above
    integer: bool = False


def _limit(
    unit: str,
    hard: tuple[str | None, str | None] = (None, None),
    soft: tuple[str | None, str | None] = (None, None),
    *,
    integer: bool = False,
) -> Limit:
    def dec(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    return Limit(unit, dec(hard[0]), dec(hard[1]), dec(soft[0]), dec(soft[1]), integer)


FIO2: Final = _limit("", ("0.21", "1.00"))

CASE: Final[dict[str, Limit]] = {
    "age": _limit("years", ("0", "120"), (None, "100"), integer=True),
    "weight_kg": _limit("kg", ("20", "400"), ("40", "180")),
}

SOFA: Final[dict[str, Limit]] = {
    "pao2_mmhg": _limit("mmHg", ("10", "800"), ("40", "550")),
    "fio2": FIO2,
    "platelets_g_l": _limit("G/L", ("0", "2000"), ("5", "1000")),
    "bilirubin_umol_l": _limit("µmol/L", ("0", "1500"), (None, "600")),
    "map_mmhg": _limit("mmHg", ("10", "200"), ("35", "130")),
    "dopamine_ug_kg_min": _limit("µg/kg/min", ("0", "100"), (None, "25")),
    "dobutamine_ug_kg_min": _limit("µg/kg/min", ("0", "100"), (None, "20")),
    "epinephrine_ug_kg_min": _limit("µg/kg/min", ("0", "10"), (None, "1")),
    "norepinephrine_ug_kg_min": _limit("µg/kg/min", ("0", "10"), (None, "2")),
    "gcs": _limit("", ("3", "15"), integer=True),
    "creatinine_umol_l": _limit("µmol/L", ("10", "2500"), (None, "1200")),
    "urine_output_ml_24h": _limit("ml/24 h", ("0", "20000"), (None, "8000")),
}
PAO2_FIO2: Final = _limit("mmHg", soft=("40", "600"))

APACHE_II: Final[dict[str, Limit]] = {
    "temperature_c": _limit("°C", ("25", "45"), ("33", "41.5")),
    "map_mmhg": _limit("mmHg", ("10", "250"), ("40", "150")),
    "heart_rate": _limit("/min", ("0", "300"), ("30", "180")),
    "respiratory_rate": _limit("/min", ("0", "100"), (None, "50")),
    "fio2": FIO2,
    "pao2_mmhg": _limit("mmHg", ("10", "800")),
    "paco2_mmhg": _limit("mmHg", ("5", "200"), ("20", "100")),
    "arterial_ph": _limit("", ("6.50", "8.00"), ("6.9", "7.7")),
    "sodium_mmol_l": _limit("mmol/L", ("90", "200"), ("115", "165")),
    "potassium_mmol_l": _limit("mmol/L", ("1.0", "12.0"), ("2.5", "7.0")),
    "creatinine_umol_l": _limit("µmol/L", ("10", "2500"), (None, "1200")),
    "hematocrit_pct": _limit("%", ("5", "80"), ("18", "60")),
    "wbc_g_l": _limit("G/L", ("0", "500"), (None, "50")),
    "gcs": _limit("", ("3", "15"), integer=True),
}

LABS: Final[dict[str, Limit]] = {
    "platelets_g_l": _limit("G/L", ("0", "2000"), ("5", "1000")),
    "ast_u_l": _limit("U/L", ("0", "50000"), (None, "2000")),
    "ast_uln": _limit("U/L", ("10", "200"), ("20", "80")),
    "alt_u_l": _limit("U/L", ("0", "50000"), (None, "2000")),
    "alt_uln": _limit("U/L", ("10", "200"), ("20", "80")),
    "lipase_u_l": _limit("U/L", ("0", "50000")),
    "amylase_u_l": _limit("U/L", ("0", "50000")),
    # Decided here (the CRF gives none): a lipase/amylase ULN must be positive, ≤ 50 000.
    "lipase_uln": _limit("U/L", ("1", "50000")),
    "amylase_uln": _limit("U/L", ("1", "50000")),
    "creatinine_umol_l": _limit("µmol/L", ("10", "2500"), ("25", "1200")),
}

MHLA_DR: Final = _limit("AB/C", ("0", "100000"), ("500", "60000"))
# 0–500 G/L hard, < 0.05 or > 10 G/L soft, expressed in /mm³.
LYMPHOCYTES_PER_MM3: Final = _limit("/mm³", ("0", "500000"), ("50", "10000"))

CORTICOSTEROID: Final[dict[str, Limit]] = {
    "daily_dose_mg": _limit("mg/day", ("0", None)),
    "duration_days": _limit("days", ("0", None)),
}
