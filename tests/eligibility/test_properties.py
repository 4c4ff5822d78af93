"""Property-based tests: score ranges, monotonicity, conversion round trips."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from eligibility import units
from eligibility.scores import (
    APACHE_TABLES,
    CHRONIC_HEALTH_POINTS,
    ApacheIIInputs,
    ArterialGas,
    SofaInputs,
    apache_ii,
    egfr_ckd_epi_2021,
    sofa,
    sofa_coagulation_points,
    sofa_creatinine_points,
    sofa_liver_points,
    sofa_respiration_points,
    sofa_urine_points,
)


def decimals(low: str, high: str, places: int = 2) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        Decimal(low), Decimal(high), places=places, allow_nan=False, allow_infinity=False
    )


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:  # type: ignore[type-arg]
    return st.none() | strategy


sofa_inputs = st.builds(
    SofaInputs,
    pao2_mmhg=maybe(decimals("10", "800", 1)),
    fio2=maybe(decimals("0.21", "1", 2)),
    respiratory_support=maybe(st.booleans()),
    platelets_g_l=maybe(decimals("0", "2000", 0)),
    bilirubin_umol_l=maybe(decimals("0", "1500", 1)),
    map_mmhg=maybe(decimals("10", "200", 0)),
    dopamine_ug_kg_min=maybe(decimals("0", "100", 1)),
    dobutamine_ug_kg_min=maybe(decimals("0", "100", 1)),
    epinephrine_ug_kg_min=maybe(decimals("0", "10", 2)),
    norepinephrine_ug_kg_min=maybe(decimals("0", "10", 2)),
    gcs=maybe(st.integers(3, 15)),
    creatinine_umol_l=maybe(decimals("10", "2500", 1)),
    urine_output_ml_24h=maybe(decimals("0", "20000", 0)),
    respiratory_failure_due_to_neurological_failure=maybe(st.booleans()),
)


@given(sofa_inputs)
def test_sofa_components_are_0_to_4_and_total_0_to_24(inputs: SofaInputs) -> None:
    score = sofa(inputs)
    for points in score.components.values():
        assert points is None or 0 <= points <= 4
    if score.total is not None:
        assert 0 <= score.total <= 24
        assert score.total == sum(score.components.values())  # type: ignore[arg-type]
    assert 0 <= score.adjusted_min <= score.adjusted_max <= 24
    if score.adjusted is not None:
        assert score.adjusted_min == score.adjusted == score.adjusted_max


@given(sofa_inputs)
def test_sofa_total_is_none_exactly_when_a_component_is_none(inputs: SofaInputs) -> None:
    score = sofa(inputs)
    assert (score.total is None) == (None in score.components.values())


FILLERS: dict[str, st.SearchStrategy] = {  # type: ignore[type-arg]
    "gcs": st.integers(3, 15),
    "fio2": decimals("0.21", "1", 2),
    "respiratory_support": st.booleans(),
    "respiratory_failure_due_to_neurological_failure": st.booleans(),
}


@given(sofa_inputs, st.data())
def test_filling_a_missing_sofa_value_stays_within_the_bounds(
    inputs: SofaInputs, data: st.DataObject
) -> None:
    filled = {
        name: value
        if value is not None
        else data.draw(FILLERS.get(name, decimals("0", "800", 1)), label=name)
        for name, value in vars(inputs).items()
    }
    partial, full = sofa(inputs), sofa(SofaInputs(**filled))
    assert full.adjusted is not None
    assert partial.adjusted_min <= full.adjusted <= partial.adjusted_max


@given(decimals("0", "2000", 1), decimals("0", "2000", 1))
def test_lower_platelets_never_lower_the_coagulation_score(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert sofa_coagulation_points(low) >= sofa_coagulation_points(high)


@given(decimals("10", "2500", 1), decimals("10", "2500", 1))
def test_higher_creatinine_never_lowers_the_renal_score(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert sofa_creatinine_points(high) >= sofa_creatinine_points(low)


@given(decimals("0", "20000", 0), decimals("0", "20000", 0))
def test_lower_urine_output_never_lowers_the_renal_score(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert sofa_urine_points(low) >= sofa_urine_points(high)


@given(decimals("0", "1500", 1), decimals("0", "1500", 1))
def test_higher_bilirubin_never_lowers_the_liver_score(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert sofa_liver_points(high) >= sofa_liver_points(low)


@given(decimals("10", "800", 1), decimals("10", "800", 1), decimals("0.21", "1", 2), st.booleans())
def test_lower_pao2_never_lowers_the_respiration_score(
    a: Decimal, b: Decimal, fio2: Decimal, support: bool
) -> None:
    low, high = sorted((a, b))
    assert sofa_respiration_points(low, fio2, support) >= sofa_respiration_points(
        high, fio2, support
    )


@given(decimals("10", "800", 1), decimals("0.21", "1", 2))
def test_respiratory_support_never_lowers_the_respiration_score(
    pao2: Decimal, fio2: Decimal
) -> None:
    assert sofa_respiration_points(pao2, fio2, True) >= sofa_respiration_points(pao2, fio2, False)


def one_or_two(low: str, high: str, places: int) -> st.SearchStrategy[tuple[Decimal, ...]]:
    return st.lists(decimals(low, high, places), min_size=1, max_size=2).map(tuple)


apache_inputs = st.builds(
    ApacheIIInputs,
    age=st.integers(0, 120),
    temperature_c=one_or_two("25", "45", 1),
    map_mmhg=one_or_two("10", "250", 0),
    heart_rate=one_or_two("0", "300", 0),
    respiratory_rate=one_or_two("0", "100", 0),
    arterial_gases=st.builds(
        ArterialGas, decimals("0.21", "1", 2), decimals("10", "800", 0), decimals("5", "200", 0)
    ).map(lambda gas: (gas,)),
    arterial_ph=one_or_two("6.5", "8", 2),
    sodium_mmol_l=one_or_two("90", "200", 0),
    potassium_mmol_l=one_or_two("1", "12", 1),
    creatinine_umol_l=one_or_two("10", "2500", 1),
    acute_renal_failure=st.booleans(),
    hematocrit_pct=one_or_two("5", "80", 1),
    wbc_g_l=one_or_two("0", "500", 1),
    gcs=st.integers(3, 15).map(lambda g: (g,)),
    chronic_health=st.sampled_from(sorted(CHRONIC_HEALTH_POINTS)),
)


@given(apache_inputs)
def test_apache_ii_total_is_0_to_71(inputs: ApacheIIInputs) -> None:
    score = apache_ii(inputs)
    assert score.total is not None
    assert 0 <= score.total <= 71
    assert score.total == score.total_min


@given(st.sampled_from(sorted(APACHE_TABLES)), decimals("0", "3000", 2), decimals("0", "3000", 2))
def test_apache_worse_of_two_values_is_the_max_points(
    variable: str, a: Decimal, b: Decimal
) -> None:
    table = APACHE_TABLES[variable]
    assert 0 <= table.points(a) <= 4
    inputs = ApacheIIInputs(temperature_c=(a, b))
    physiology = apache_ii(inputs).physiology
    both = APACHE_TABLES["temperature_c"]
    assert physiology["temperature_c"] == max(both.points(a), both.points(b))


@given(
    decimals("10", "2500", 1),
    decimals("10", "2500", 1),
    st.integers(18, 110),
    st.sampled_from(["M", "F"]),
)
def test_egfr_decreases_as_creatinine_rises(a: Decimal, b: Decimal, age: int, sex: str) -> None:
    if a == b:
        return
    low, high = sorted((a, b))
    assert egfr_ckd_epi_2021(low, age, sex) > egfr_ckd_epi_2021(high, age, sex)  # type: ignore[arg-type]


@given(decimals("10", "2500", 1), st.integers(18, 109), st.sampled_from(["M", "F"]))
def test_egfr_decreases_with_age(creatinine: Decimal, age: int, sex: str) -> None:
    assert egfr_ckd_epi_2021(creatinine, age, sex) > egfr_ckd_epi_2021(creatinine, age + 1, sex)  # type: ignore[arg-type]


@given(decimals("0", "500", 3))
def test_lymphocyte_g_l_round_trip_is_exact(value: Decimal) -> None:
    assert units.lymphocytes_per_mm3_to_g_l(units.lymphocytes_g_l_to_per_mm3(value)) == value


@given(decimals("0.1", "30", 2))
def test_creatinine_mg_dl_round_trip_is_exact(value: Decimal) -> None:
    assert units.creatinine_umol_l_to_mg_dl(units.creatinine_mg_dl_to_umol_l(value)) == value


@given(decimals("10", "2500", 1))
def test_creatinine_umol_l_round_trip_is_within_rounding(value: Decimal) -> None:
    back = units.creatinine_mg_dl_to_umol_l(units.creatinine_umol_l_to_mg_dl(value))
    assert abs(back - value) < Decimal("1e-40")


@given(decimals("0", "90", 2))
def test_bilirubin_mg_dl_round_trip_is_exact(value: Decimal) -> None:
    assert units.bilirubin_umol_l_to_mg_dl(units.bilirubin_mg_dl_to_umol_l(value)) == value


@given(decimals("1", "110", 2))
def test_pao2_kpa_round_trip_is_exact(value: Decimal) -> None:
    assert units.pao2_mmhg_to_kpa(units.pao2_kpa_to_mmhg(value)) == value


@given(decimals("21", "100", 0))
def test_fio2_percent_round_trip_is_exact(value: Decimal) -> None:
    assert units.fio2_fraction_to_percent(units.fio2_percent_to_fraction(value)) == value


@given(st.floats(0, 500, allow_nan=False).map(lambda f: round(f, 3)))
def test_json_float_lymphocytes_convert_like_their_decimal_text(value: float) -> None:
    assert units.lymphocytes_g_l_to_per_mm3(value) == Decimal(repr(value)) * 1000
