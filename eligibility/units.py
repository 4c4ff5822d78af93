"""Unit conversions (protocol.md §4 "Definitions", crf-spec.md §2.1/§2.4).

Everything is computed in Decimal so that boundaries compare exactly: 0.62 G/L × 1000 is
exactly 620 /mm³ here, whereas 0.62 * 1000 in binary floating point is 620.0000000000001.
JSON floats are converted through their shortest repr (Decimal(str(x))).
"""

import math
from decimal import Decimal, localcontext
from typing import Final

Number = int | float | Decimal

LYMPHOCYTES_PER_MM3_PER_G_L: Final = Decimal(1000)  # 1 G/L = 10⁹/L = 10³/µL = 1000 /mm³
CREATININE_UMOL_L_PER_MG_DL: Final = Decimal("88.4")
BILIRUBIN_UMOL_L_PER_MG_DL: Final = Decimal("17.1")
MMHG_PER_KPA: Final = Decimal("7.50062")

# Accepted spellings of the lymphocyte units; value = factor to /mm³.
LYMPHOCYTE_UNITS: Final[dict[str, Decimal]] = {
    "G/L": LYMPHOCYTES_PER_MM3_PER_G_L,
    "10^9/L": LYMPHOCYTES_PER_MM3_PER_G_L,
    "10^3/µL": LYMPHOCYTES_PER_MM3_PER_G_L,
    "10^3/uL": LYMPHOCYTES_PER_MM3_PER_G_L,
    "/mm3": Decimal(1),
    "/mm³": Decimal(1),
    "10^6/L": Decimal(1),
    "/µL": Decimal(1),
    "/uL": Decimal(1),
}

# Enough digits for every product of two input values to be exact.
PRECISION: Final = 50


def to_decimal(value: Number) -> Decimal:
    """Exact Decimal of a number; floats go through their shortest decimal repr."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("not a finite number")
        return value
    raise TypeError(f"not a number: {value!r}")


def _mul(value: Number, factor: Decimal) -> Decimal:
    with localcontext(prec=PRECISION):
        return to_decimal(value) * factor


def _div(value: Number, factor: Decimal) -> Decimal:
    with localcontext(prec=PRECISION):
        return to_decimal(value) / factor


def lymphocytes_g_l_to_per_mm3(value: Number) -> Decimal:
    return _mul(value, LYMPHOCYTES_PER_MM3_PER_G_L)


def lymphocytes_per_mm3_to_g_l(value: Number) -> Decimal:
    return _div(value, LYMPHOCYTES_PER_MM3_PER_G_L)


def lymphocytes_to_per_mm3(value: Number, unit: str) -> Decimal:
    """Convert a lymphocyte count in one of LYMPHOCYTE_UNITS to /mm³ (KeyError if unknown)."""
    return _mul(value, LYMPHOCYTE_UNITS[unit])


def creatinine_mg_dl_to_umol_l(value: Number) -> Decimal:
    return _mul(value, CREATININE_UMOL_L_PER_MG_DL)


def creatinine_umol_l_to_mg_dl(value: Number) -> Decimal:
    return _div(value, CREATININE_UMOL_L_PER_MG_DL)


def bilirubin_mg_dl_to_umol_l(value: Number) -> Decimal:
    return _mul(value, BILIRUBIN_UMOL_L_PER_MG_DL)


def bilirubin_umol_l_to_mg_dl(value: Number) -> Decimal:
    return _div(value, BILIRUBIN_UMOL_L_PER_MG_DL)


def pao2_kpa_to_mmhg(value: Number) -> Decimal:
    return _mul(value, MMHG_PER_KPA)


def pao2_mmhg_to_kpa(value: Number) -> Decimal:
    return _div(value, MMHG_PER_KPA)


def fio2_percent_to_fraction(value: Number) -> Decimal:
    """FiO₂ 21 % → 0.21: the engine only takes fractions (protocol.md §5)."""
    return _div(value, Decimal(100))


def fio2_fraction_to_percent(value: Number) -> Decimal:
    return _mul(value, Decimal(100))
