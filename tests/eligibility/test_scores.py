"""SOFA, APACHE II, eGFR and prednisone equivalents: every band edge of protocol.md §5."""

import math
from decimal import Decimal

import pytest

from eligibility.scores import (
    ApacheIIInputs,
    ArterialGas,
    SofaInputs,
    apache_aado2_mmhg,
    apache_age_points,
    apache_ii,
    apache_oxygenation_points,
    apache_pao2_points,
    apache_variable_points,
    egfr_ckd_epi_2021,
    prednisone_equivalent_exceeds,
    prednisone_equivalent_mg,
    sofa,
    sofa_catecholamine_points,
    sofa_cns_points,
    sofa_coagulation_points,
    sofa_creatinine_points,
    sofa_dobutamine_points,
    sofa_dopamine_points,
    sofa_liver_points,
    sofa_map_points,
    sofa_respiration_points,
    sofa_urine_points,
)

D = Decimal


def complete_sofa(**changes: object) -> SofaInputs:
    """The §6 example assessment: components 3, 2, 1, 4, 3, 2 (total 15)."""
    values: dict[str, object] = {
        "pao2_mmhg": D(72),
        "fio2": D("0.6"),
        "respiratory_support": True,
        "platelets_g_l": D(95),
        "bilirubin_umol_l": D(25),
        "map_mmhg": D(64),
        "dopamine_ug_kg_min": D(0),
        "dobutamine_ug_kg_min": D(0),
        "epinephrine_ug_kg_min": D(0),
        "norepinephrine_ug_kg_min": D("0.3"),
        "gcs": 9,
        "creatinine_umol_l": D(180),
        "urine_output_ml_24h": D(800),
        "respiratory_failure_due_to_neurological_failure": False,
    }
    values.update(changes)
    return SofaInputs(**values)  # type: ignore[arg-type]


# --- SOFA bands ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pao2", "fio2", "support", "points"),
    [
        ("400", "1", True, 0),
        ("200", "0.5", True, 0),  # ratio exactly 400
        ("399.9", "1", True, 1),
        ("300", "1", True, 1),
        ("299.9", "1", True, 2),
        ("200", "1", True, 2),
        ("199.9", "1", True, 3),
        ("100", "1", True, 3),
        ("99.9", "1", True, 4),
        ("199.9", "1", False, 2),
        ("50", "1", False, 2),
        ("72", "0.6", True, 3),  # ratio 120
        ("60", "0.6", True, 3),  # ratio exactly 100
        ("59.9", "0.6", True, 4),
        ("63", "0.21", True, 1),  # ratio exactly 300
        ("84", "0.21", True, 0),  # ratio exactly 400
        ("83.9", "0.21", True, 1),
    ],
)
def test_sofa_respiration_bands(pao2: str, fio2: str, support: bool, points: int) -> None:
    assert sofa_respiration_points(D(pao2), D(fio2), support) == points


@pytest.mark.parametrize(
    ("platelets", "points"),
    [
        ("150", 0),
        ("149.9", 1),
        ("100", 1),
        ("99.9", 2),
        ("50", 2),
        ("49.9", 3),
        ("20", 3),
        ("19.9", 4),
        ("0", 4),
    ],
)
def test_sofa_coagulation_bands(platelets: str, points: int) -> None:
    assert sofa_coagulation_points(D(platelets)) == points


@pytest.mark.parametrize(
    ("bilirubin", "points"),
    [
        ("19.9", 0),
        ("20", 1),
        ("32.9", 1),
        ("33", 2),
        ("101.9", 2),
        ("102", 3),
        ("204", 3),
        ("204.1", 4),
    ],
)
def test_sofa_liver_bands_102_to_204_is_3_above_204_is_4(bilirubin: str, points: int) -> None:
    assert sofa_liver_points(D(bilirubin)) == points


@pytest.mark.parametrize(("map_mmhg", "points"), [("70", 0), ("69.9", 1)])
def test_sofa_map_under_70_scores_1(map_mmhg: str, points: int) -> None:
    assert sofa_map_points(D(map_mmhg)) == points


@pytest.mark.parametrize(
    ("dose", "points"), [("0", 0), ("0.1", 2), ("5", 2), ("5.1", 3), ("15", 3), ("15.1", 4)]
)
def test_sofa_dopamine_bands(dose: str, points: int) -> None:
    assert sofa_dopamine_points(D(dose)) == points


@pytest.mark.parametrize(("dose", "points"), [("0", 0), ("0.1", 2), ("20", 2)])
def test_sofa_dobutamine_any_dose_scores_2(dose: str, points: int) -> None:
    assert sofa_dobutamine_points(D(dose)) == points


@pytest.mark.parametrize(
    ("dose", "points"), [("0", 0), ("0.01", 3), ("0.1", 3), ("0.11", 4), ("0.101", 4)]
)
def test_sofa_adrenaline_noradrenaline_bands(dose: str, points: int) -> None:
    assert sofa_catecholamine_points(D(dose)) == points


@pytest.mark.parametrize(
    ("gcs", "points"),
    [(15, 0), (14, 1), (13, 1), (12, 2), (10, 2), (9, 3), (6, 3), (5, 4), (3, 4)],
)
def test_sofa_cns_bands(gcs: int, points: int) -> None:
    assert sofa_cns_points(gcs) == points


@pytest.mark.parametrize(
    ("creatinine", "points"),
    [
        ("109.9", 0),
        ("110", 1),
        ("170.9", 1),
        ("171", 2),
        ("299.9", 2),
        ("300", 3),
        ("440", 3),
        ("440.1", 4),
    ],
)
def test_sofa_renal_creatinine_300_to_440_is_3_above_440_is_4(creatinine: str, points: int) -> None:
    assert sofa_creatinine_points(D(creatinine)) == points


@pytest.mark.parametrize(
    ("urine", "points"), [("500", 0), ("499", 3), ("200", 3), ("199", 4), ("0", 4)]
)
def test_sofa_urine_output_bands(urine: str, points: int) -> None:
    assert sofa_urine_points(D(urine)) == points


def test_sofa_example_assessment_scores_15() -> None:
    score = sofa(complete_sofa())
    assert score.components == {
        "respiration": 3,
        "coagulation": 2,
        "liver": 1,
        "cardiovascular": 4,
        "cns": 3,
        "renal": 2,
    }
    assert (score.total, score.adjusted, score.missing) == (15, 15, ())


def test_sofa_adjusted_subtracts_respiration_of_neurological_origin() -> None:
    score = sofa(complete_sofa(respiratory_failure_due_to_neurological_failure=True))
    assert (score.total, score.adjusted) == (15, 12)


def test_sofa_renal_takes_the_worse_of_creatinine_and_urine() -> None:
    score = sofa(complete_sofa(creatinine_umol_l=D(120), urine_output_ml_24h=D(150)))
    assert score.components["renal"] == 4


def test_sofa_cardiovascular_takes_the_worst_criterion() -> None:
    score = sofa(
        complete_sofa(
            map_mmhg=D(80),
            norepinephrine_ug_kg_min=D(0),
            dobutamine_ug_kg_min=D(5),
            dopamine_ug_kg_min=D(6),
        )
    )
    assert score.components["cardiovascular"] == 3


def test_sofa_missing_platelets_leave_coagulation_and_totals_none() -> None:
    score = sofa(complete_sofa(platelets_g_l=None))
    assert score.components["coagulation"] is None
    assert (score.total, score.adjusted, score.missing) == (None, None, ("coagulation",))


def test_sofa_missing_urine_with_creatinine_over_440_still_scores_renal_4() -> None:
    score = sofa(complete_sofa(creatinine_umol_l=D(441), urine_output_ml_24h=None))
    assert score.components["renal"] == 4


def test_sofa_missing_urine_with_creatinine_under_440_leaves_renal_none() -> None:
    score = sofa(complete_sofa(urine_output_ml_24h=None))
    assert score.components["renal"] is None
    assert score.total is None


def test_sofa_missing_map_with_noradrenaline_over_0_1_scores_cardiovascular_4() -> None:
    assert sofa(complete_sofa(map_mmhg=None)).components["cardiovascular"] == 4


def test_sofa_missing_dose_with_low_map_leaves_cardiovascular_none() -> None:
    score = sofa(complete_sofa(norepinephrine_ug_kg_min=None))
    assert score.components["cardiovascular"] is None


def test_sofa_respiratory_support_unknown_does_not_matter_at_ratio_200_or_more() -> None:
    score = sofa(complete_sofa(pao2_mmhg=D(150), fio2=D("0.6"), respiratory_support=None))
    assert score.components["respiration"] == 2  # ratio 250


def test_sofa_respiratory_support_unknown_under_ratio_200_leaves_respiration_none() -> None:
    score = sofa(complete_sofa(respiratory_support=None))
    assert score.components["respiration"] is None
    assert (score.adjusted_min, score.adjusted_max) == (14, 15)  # 2 without, 3 with support


def test_sofa_missing_respiration_does_not_matter_when_of_neurological_origin() -> None:
    score = sofa(
        complete_sofa(pao2_mmhg=None, respiratory_failure_due_to_neurological_failure=True)
    )
    assert score.total is None
    assert score.adjusted == 12
    assert score.missing == ()


def test_sofa_unknown_neurological_origin_leaves_adjusted_none_unless_respiration_is_0() -> None:
    assert (
        sofa(complete_sofa(respiratory_failure_due_to_neurological_failure=None)).adjusted is None
    )
    no_respiratory_failure = complete_sofa(
        pao2_mmhg=D(95), fio2=D("0.21"), respiratory_failure_due_to_neurological_failure=None
    )
    assert sofa(no_respiratory_failure).adjusted == 12


# --- APACHE II bands -------------------------------------------------------------------------

APACHE_EDGES = {
    "temperature_c": [
        ("41", 4),
        ("40.9", 3),
        ("40.95", 3),
        ("39", 3),
        ("38.9", 1),
        ("38.5", 1),
        ("38.4", 0),
        ("38.45", 0),
        ("36", 0),
        ("35.9", 1),
        ("34", 1),
        ("33.9", 2),
        ("32", 2),
        ("31.9", 3),
        ("30", 3),
        ("29.9", 4),
    ],
    "map_mmhg": [
        ("160", 4),
        ("159", 3),
        ("130", 3),
        ("129", 2),
        ("110", 2),
        ("109", 0),
        ("70", 0),
        ("69", 2),
        ("50", 2),
        ("49", 4),
    ],
    "heart_rate": [
        ("180", 4),
        ("179", 3),
        ("140", 3),
        ("139", 2),
        ("110", 2),
        ("109", 0),
        ("70", 0),
        ("69", 2),
        ("55", 2),
        ("54", 3),
        ("40", 3),
        ("39", 4),
    ],
    "respiratory_rate": [
        ("50", 4),
        ("49", 3),
        ("35", 3),
        ("34", 1),
        ("25", 1),
        ("24", 0),
        ("12", 0),
        ("11", 1),
        ("10", 1),
        ("9", 2),
        ("6", 2),
        ("5", 4),
    ],
    "arterial_ph": [
        ("7.7", 4),
        ("7.69", 3),
        ("7.6", 3),
        ("7.59", 1),
        ("7.5", 1),
        ("7.49", 0),
        ("7.33", 0),
        ("7.32", 2),
        ("7.25", 2),
        ("7.24", 3),
        ("7.15", 3),
        ("7.14", 4),
    ],
    "sodium_mmol_l": [
        ("180", 4),
        ("179", 3),
        ("160", 3),
        ("159", 2),
        ("155", 2),
        ("154", 1),
        ("150", 1),
        ("149", 0),
        ("130", 0),
        ("129", 2),
        ("120", 2),
        ("119", 3),
        ("111", 3),
        ("110", 4),
    ],
    "potassium_mmol_l": [
        ("7", 4),
        ("6.9", 3),
        ("6", 3),
        ("5.9", 1),
        ("5.5", 1),
        ("5.4", 0),
        ("3.5", 0),
        ("3.4", 1),
        ("3", 1),
        ("2.9", 2),
        ("2.5", 2),
        ("2.4", 4),
    ],
    "creatinine_umol_l": [
        ("305", 4),
        ("304", 3),
        ("177", 3),
        ("176", 2),
        ("133", 2),
        ("132", 0),
        ("53", 0),
        ("52", 2),
    ],
    "hematocrit_pct": [
        ("60", 4),
        ("59.9", 2),
        ("50", 2),
        ("49.9", 1),
        ("46", 1),
        ("45.9", 0),
        ("30", 0),
        ("29.9", 2),
        ("20", 2),
        ("19.9", 4),
    ],
    "wbc_g_l": [
        ("40", 4),
        ("39.9", 2),
        ("20", 2),
        ("19.9", 1),
        ("15", 1),
        ("14.9", 0),
        ("3", 0),
        ("2.9", 2),
        ("1", 2),
        ("0.9", 4),
    ],
}


@pytest.mark.parametrize(
    ("variable", "value", "points"),
    [
        (variable, value, points)
        for variable, edges in APACHE_EDGES.items()
        for value, points in edges
    ],
)
def test_apache_variable_band_edges(variable: str, value: str, points: int) -> None:
    assert apache_variable_points(variable, [D(value)]) == points


def test_apache_variable_with_high_and_low_values_scores_the_worse() -> None:
    assert apache_variable_points("temperature_c", [D("36.5"), D("39.5")]) == 3
    assert apache_variable_points("heart_rate", [D(38), D(150)]) == 4


def test_apache_variable_without_value_is_none() -> None:
    assert apache_variable_points("sodium_mmol_l", []) is None


@pytest.mark.parametrize(
    ("pao2", "points"),
    [("71", 0), ("70.5", 0), ("70", 1), ("61", 1), ("60.9", 3), ("55", 3), ("54.9", 4)],
)
def test_apache_pao2_bands_when_fio2_under_0_5(pao2: str, points: int) -> None:
    assert apache_pao2_points(D(pao2)) == points
    assert apache_oxygenation_points(ArterialGas(D("0.49"), D(pao2), None)) == points


@pytest.mark.parametrize(
    ("pao2", "points"), [("163", 4), ("164", 3), ("313", 3), ("314", 2), ("463", 2), ("464", 0)]
)
def test_apache_aado2_bands_when_fio2_is_1(pao2: str, points: int) -> None:
    gas = ArterialGas(D(1), D(pao2), D(40))  # A–aDO₂ = 713 − 50 − PaO₂
    assert apache_aado2_mmhg(gas) == 663 - D(pao2)
    assert apache_oxygenation_points(gas) == points


def test_apache_fio2_exactly_0_5_uses_aado2_not_pao2() -> None:
    gas = ArterialGas(D("0.5"), D(60), D(40))  # A–aDO₂ 246.5 → 2; PaO₂ 60 alone would score 3
    assert apache_aado2_mmhg(gas) == D("246.5")
    assert apache_oxygenation_points(gas) == 2


def test_apache_aado2_without_paco2_is_missing() -> None:
    assert apache_oxygenation_points(ArterialGas(D("0.6"), D(80), None)) is None


@pytest.mark.parametrize(
    ("age", "points"),
    [(18, 0), (44, 0), (45, 2), (54, 2), (55, 3), (64, 3), (65, 5), (74, 5), (75, 6), (99, 6)],
)
def test_apache_age_points(age: int, points: int) -> None:
    assert apache_age_points(age) == points


def example_apache(**changes: object) -> ApacheIIInputs:
    values: dict[str, object] = {
        "age": 58,
        "temperature_c": (D("38.2"),),
        "map_mmhg": (D(68),),
        "heart_rate": (D(112),),
        "respiratory_rate": (D(22),),
        "arterial_gases": (ArterialGas(D("0.4"), D(85), D(40)),),
        "arterial_ph": (D("7.36"),),
        "sodium_mmol_l": (D(141),),
        "potassium_mmol_l": (D("4.1"),),
        "creatinine_umol_l": (D(110),),
        "acute_renal_failure": False,
        "hematocrit_pct": (D(31),),
        "wbc_g_l": (D("12.5"),),
        "gcs": (11,),
        "chronic_health": "none",
    }
    values.update(changes)
    return ApacheIIInputs(**values)  # type: ignore[arg-type]


def test_apache_example_scores_11() -> None:
    score = apache_ii(example_apache())
    assert score.total == 11
    assert (score.glasgow, score.age, score.chronic_health, score.acute_physiology) == (4, 3, 0, 8)


@pytest.mark.parametrize(("gcs", "points"), [(15, 0), (11, 4), (3, 12)])
def test_apache_glasgow_points_are_15_minus_gcs(gcs: int, points: int) -> None:
    assert apache_ii(example_apache(gcs=(gcs,))).glasgow == points


@pytest.mark.parametrize(
    ("category", "points"),
    [
        ("none", 0),
        ("nonoperative", 5),
        ("emergency_postoperative", 5),
        ("elective_postoperative", 2),
    ],
)
def test_apache_chronic_health_points(category: str, points: int) -> None:
    assert apache_ii(example_apache(chronic_health=category)).chronic_health == points


@pytest.mark.parametrize(
    ("creatinine", "points"), [("305", 8), ("177", 6), ("133", 4), ("100", 0), ("52", 4)]
)
def test_apache_creatinine_points_doubled_in_acute_renal_failure(
    creatinine: str, points: int
) -> None:
    score = apache_ii(example_apache(creatinine_umol_l=(D(creatinine),), acute_renal_failure=True))
    assert score.physiology["creatinine_umol_l"] == points


def test_apache_unknown_acute_renal_failure_matters_only_when_creatinine_scores() -> None:
    assert apache_ii(example_apache(acute_renal_failure=None)).total == 11
    unknown = apache_ii(example_apache(creatinine_umol_l=(D(200),), acute_renal_failure=None))
    assert unknown.physiology["creatinine_umol_l"] is None
    assert unknown.total is None
    assert unknown.total_min == 14


def test_apache_missing_variable_gives_no_total_and_names_it() -> None:
    score = apache_ii(example_apache(arterial_ph=()))
    assert score.total is None
    assert score.missing == ("arterial_ph",)
    assert score.total_min == 11


def test_apache_missing_age_gcs_and_chronic_health_are_named() -> None:
    score = apache_ii(example_apache(age=None, gcs=(), chronic_health=None))
    assert score.missing == ("gcs", "age", "chronic_health")
    assert score.total is None


def test_apache_worst_possible_values_score_71() -> None:
    worst = example_apache(
        age=80,
        temperature_c=(D(42),),
        map_mmhg=(D(170),),
        heart_rate=(D(190),),
        respiratory_rate=(D(55),),
        arterial_gases=(ArterialGas(D(1), D(50), D(20)),),
        arterial_ph=(D("7.8"),),
        sodium_mmol_l=(D(185),),
        potassium_mmol_l=(D(8),),
        creatinine_umol_l=(D(400),),
        acute_renal_failure=True,
        hematocrit_pct=(D(65),),
        wbc_g_l=(D(45),),
        gcs=(3,),
        chronic_health="nonoperative",
    )
    assert apache_ii(worst).total == 71


# --- eGFR ------------------------------------------------------------------------------------


def _egfr_float(scr_mg_dl: float, age: int, female: bool) -> float:
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = scr_mg_dl / kappa
    value = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.2 * 0.9938**age
    return value * (1.012 if female else 1)


@pytest.mark.parametrize(
    ("creatinine", "age", "sex"),
    [
        ("110", 58, "M"),
        ("61.88", 50, "F"),
        ("50", 30, "F"),
        ("300", 70, "M"),
        ("79.56", 40, "M"),
        ("1200", 85, "F"),
    ],
)
def test_egfr_matches_the_ckd_epi_2021_formula(creatinine: str, age: int, sex: str) -> None:
    expected = _egfr_float(float(creatinine) / 88.4, age, sex == "F")
    assert math.isclose(float(egfr_ckd_epi_2021(D(creatinine), age, sex)), expected, rel_tol=1e-12)


def test_egfr_of_the_example_is_67_1_after_rounding() -> None:
    value = egfr_ckd_epi_2021(D(110), 58, "M")
    assert value.quantize(D("0.1")) == D("67.1")


def test_egfr_at_creatinine_equal_to_kappa_has_no_creatinine_factor() -> None:
    # Scr = κ = 0.9 mg/dL = 79.56 µmol/L: both creatinine factors are exactly 1.
    value = egfr_ckd_epi_2021(D("79.56"), 0, "M")
    assert value == 142


def test_egfr_of_a_woman_at_creatinine_equal_to_kappa_has_the_1_012_factor() -> None:
    # Scr = κ = 0.7 mg/dL = 61.88 µmol/L.
    assert egfr_ckd_epi_2021(D("61.88"), 0, "F") == D("143.704")


# --- Prednisone equivalents ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "dose", "prednisone"),
    [
        ("prednisone", "5", "5"),
        ("prednisolone", "5", "5"),
        ("methylprednisolone", "4", "5"),
        ("triamcinolone", "4", "5"),
        ("hydrocortisone", "20", "5"),
        ("cortisone", "25", "5"),
        ("dexamethasone", "0.75", "5"),
        ("betamethasone", "0.75", "5"),
        ("fludrocortisone", "0.1", "0"),
        ("hydrocortisone", "200", "50"),
        ("methylprednisolone", "80", "100"),
    ],
)
def test_prednisone_equivalents_of_protocol_table(drug: str, dose: str, prednisone: str) -> None:
    assert prednisone_equivalent_mg(drug, D(dose)) == D(prednisone)


@pytest.mark.parametrize(
    ("drug", "dose", "exceeds"),
    [
        ("dexamethasone", "10.5", False),
        ("dexamethasone", "10.51", True),
        ("methylprednisolone", "56", False),
        ("methylprednisolone", "56.01", True),
        ("hydrocortisone", "280", False),
        ("hydrocortisone", "281", True),
        ("fludrocortisone", "1000", False),
    ],
)
def test_prednisone_dose_over_1_mg_per_kg_is_compared_exactly(
    drug: str, dose: str, exceeds: bool
) -> None:
    assert prednisone_equivalent_exceeds(drug, D(dose), D(70), D(1)) is exceeds


def test_unknown_corticosteroid_is_refused() -> None:
    with pytest.raises(KeyError):
        prednisone_equivalent_mg("budesonide", D(9))
