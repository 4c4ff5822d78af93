"""Unit conversions of protocol.md §4 and crf-spec.md, exact in Decimal."""

from decimal import Decimal

import pytest

from eligibility import units

D = Decimal


def test_lymphocytes_g_l_times_1000_give_per_mm3() -> None:
    assert units.lymphocytes_g_l_to_per_mm3(0.62) == 620
    assert units.lymphocytes_per_mm3_to_g_l(620) == D("0.62")


@pytest.mark.parametrize(
    ("unit", "per_mm3"), [("G/L", 999), ("10^3/µL", 999), ("/mm3", D("0.999"))]
)
def test_lymphocyte_units(unit: str, per_mm3: Decimal) -> None:
    assert units.lymphocytes_to_per_mm3(D("0.999"), unit) == per_mm3


def test_unknown_lymphocyte_unit_raises() -> None:
    with pytest.raises(KeyError):
        units.lymphocytes_to_per_mm3(1, "cells")


def test_creatinine_mg_dl_times_88_4_give_umol_l() -> None:
    assert units.creatinine_mg_dl_to_umol_l(1.2) == D("106.08")
    assert units.creatinine_umol_l_to_mg_dl(D("106.08")) == D("1.2")


def test_bilirubin_mg_dl_times_17_1_give_umol_l() -> None:
    assert units.bilirubin_mg_dl_to_umol_l(2) == D("34.2")
    assert units.bilirubin_umol_l_to_mg_dl(D("34.2")) == 2


def test_pao2_kpa_times_7_50062_give_mmhg() -> None:
    assert units.pao2_kpa_to_mmhg(8) == D("60.00496")


def test_fio2_percent_to_fraction() -> None:
    assert units.fio2_percent_to_fraction(21) == D("0.21")
    assert units.fio2_fraction_to_percent(D("0.6")) == 60


def test_json_float_is_read_through_its_shortest_repr() -> None:
    assert units.to_decimal(0.1) == D("0.1")
    assert units.to_decimal(7) == 7


@pytest.mark.parametrize("value", [True, "1", float("inf"), D("NaN"), None])
def test_to_decimal_refuses_non_numbers(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        units.to_decimal(value)  # type: ignore[arg-type]
