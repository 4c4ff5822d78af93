"""Rule functions on their own (no database): limits, conditions, skip logic."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from crf.facts import ParticipantFacts
from crf.rules import baseline, daily, followup, infection, safety
from crf.rules.common import Severity
from crf.rules.conditions import skipped
from platinium.lib.study_time import STUDY_TIME_ZONE
from tests.crf.helpers import baseline_data, daily_data

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=STUDY_TIME_ZONE)
FACTS = ParticipantFacts(
    randomized_at=datetime(2026, 3, 1, 10, 0, tzinfo=STUDY_TIME_ZONE),
    d0=date(2026, 3, 1),
    now=NOW,
    today=NOW.date(),
    weight_kg=Decimal("80"),
)


def _by(findings, severity):
    return sorted(f.field for f in findings if f.severity == severity)


def test_valid_daily_values_have_no_finding():
    assert daily.check(daily_data(day_date=date(2026, 3, 2)), FACTS) == []


def test_daily_units_are_required_with_their_values():
    values = daily_data(day_date=date(2026, 3, 2), platelets_unit="")
    assert _by(daily.check(values, FACTS), Severity.MISSING) == ["platelets_unit"]


def test_daily_implausible_map_is_soft_and_impossible_gcs_is_hard():
    found = daily.check(daily_data(day_date=date(2026, 3, 2), map_mmhg=32, gcs=2), FACTS)
    assert _by(found, Severity.SOFT) == ["map_mmhg"]
    assert _by(found, Severity.HARD) == ["gcs"]


def test_norepinephrine_in_mg_per_hour_is_converted_with_the_weight():
    values = daily_data(
        day_date=date(2026, 3, 2), norepinephrine_value=Decimal("2.4"), norepinephrine_unit="mg/h"
    )
    derived = daily.derive(values, FACTS)
    assert derived["norepinephrine_ug_kg_min"] == Decimal("0.5000")  # 2.4×1000/(60×80)
    assert derived["sofa_cardiovascular"] == 4


def test_daily_skip_logic_clears_airway_without_imv():
    assert "airway" in skipped(daily.SHOW_WHEN, daily_data(imv=False))


def test_baseline_bmi_and_age_are_derived_from_month_and_year():
    derived = baseline.derive(baseline_data(birth_month=4, birth_year=1960), FACTS)
    assert derived["age_years"] == 65  # birthday month not reached on 2026-03-01
    assert derived["bmi"] == Decimal("25.2")


def test_followup_eq5d_only_at_d90_when_alive():
    assert "eq5d_mobility" in skipped(
        followup.FU_SHOW_WHEN, {"visit": "FU_D30", "vital_status": "ALIVE"}
    )
    assert "eq5d_mobility" not in skipped(
        followup.FU_SHOW_WHEN, {"visit": "FU_D90", "vital_status": "ALIVE"}
    )


def test_infection_on_d0_needs_a_time_after_randomisation():
    values = {
        "onset_date": date(2026, 3, 1),
        "location": "STUDY_ICU",
        "category": "UTI",
        "uti_type": "UTI_A",
        "septic_shock": False,
        "microbiologically_documented": True,
    }
    assert _by(infection.check(values, FACTS), Severity.MISSING) == ["onset_time"]
    early = {**values, "onset_time": datetime(2026, 3, 1, 9, 0).time()}
    assert _by(infection.check(early, FACTS), Severity.HARD) == ["onset_time"]


def test_ae_action_after_d9_is_not_applicable():
    values = {
        "term": "x",
        "onset_date": date(2026, 3, 15),
        "serious": False,
        "severity_grade": 2,
        "relationship": "NOT_RELATED",
        "action": "DRUG_WITHDRAWN",
        "outcome": "RECOVERED",
        "end_date": date(2026, 3, 16),
    }
    assert _by(safety.ae_check(values, FACTS), Severity.HARD) == ["action"]
