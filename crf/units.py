"""Closed unit lists of the CRF and the conversion to the stored standard unit.

crf-spec.md §2 "Units accepted": every value is stored as entered, with its unit, plus a
standard-unit copy that analyses and scores read. The factors come from eligibility.units
(one table for the whole EDC).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from eligibility import units as u

QUANT = Decimal("0.0001")


class CountUnit(models.TextChoices):
    """Lymphocytes, leucocytes, platelets → G/L."""

    G_L = "G/L", "G/L (10⁹/L)"
    PER_MM3 = "/mm3", "/mm³ (/µL)"
    K_PER_UL = "10^3/uL", "10³/µL"


class CreatinineUnit(models.TextChoices):
    UMOL_L = "umol/L", "µmol/L"
    MG_DL = "mg/dL", "mg/dL"


class BilirubinUnit(models.TextChoices):
    UMOL_L = "umol/L", "µmol/L"
    MG_DL = "mg/dL", "mg/dL"


class PressureUnit(models.TextChoices):
    MMHG = "mmHg", "mmHg"
    KPA = "kPa", "kPa"


class Fio2Unit(models.TextChoices):
    FRACTION = "fraction", _("fraction (0.21–1.00)")
    PERCENT = "%", "% (21–100)"


class VasopressorUnit(models.TextChoices):
    UG_KG_MIN = "ug/kg/min", "µg/kg/min"
    MG_H = "mg/h", _("mg/h (converted with the baseline weight)")


def _q(value: Decimal) -> Decimal:
    return value.quantize(QUANT)


def count_to_g_l(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None or not unit:
        return None
    if unit == CountUnit.PER_MM3:
        return _q(u.lymphocytes_per_mm3_to_g_l(value))
    return _q(Decimal(value))


def creatinine_to_umol_l(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None or not unit:
        return None
    if unit == CreatinineUnit.MG_DL:
        return _q(u.creatinine_mg_dl_to_umol_l(value))
    return _q(Decimal(value))


def bilirubin_to_umol_l(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None or not unit:
        return None
    if unit == BilirubinUnit.MG_DL:
        return _q(u.bilirubin_mg_dl_to_umol_l(value))
    return _q(Decimal(value))


def pressure_to_mmhg(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None or not unit:
        return None
    if unit == PressureUnit.KPA:
        return _q(u.pao2_kpa_to_mmhg(value))
    return _q(Decimal(value))


def fio2_to_fraction(value: Decimal | None, unit: str) -> Decimal | None:
    if value is None or not unit:
        return None
    if unit == Fio2Unit.PERCENT:
        return _q(u.fio2_percent_to_fraction(value))
    return _q(Decimal(value))


def vasopressor_to_ug_kg_min(
    value: Decimal | None, unit: str, weight_kg: Decimal | None
) -> Decimal | None:
    """µg/kg/min = mg/h × 1000 / (60 × weight kg) (crf-spec.md §2 units table)."""
    if value is None or not unit:
        return None
    if unit == VasopressorUnit.MG_H:
        if not weight_kg:
            return None
        return _q(Decimal(value) * 1000 / (60 * Decimal(weight_kg)))
    return _q(Decimal(value))
