"""A small trial for the export tests: participants at sites 11 and 16 with CRF rows of
several forms (day-10 biology results included), a voided form and a screening log."""

from __future__ import annotations

import functools
import random
from datetime import timedelta
from typing import Any

from crf import services as crf
from crf.models import D10Biology, DailyFollowUp
from monitoring import queries
from randomization import kit_codes
from tests.crf.helpers import (
    ae_data,
    baseline_data,
    d0_of,
    daily_data,
    injection_data,
    paris,
    randomized,
)
from tests.eligibility.factories import make_screening

# Text a spreadsheet would run as formulas (neutralised on export) and one that is a number.
FORMULA_TERM = '=HYPERLINK("http://x.invalid","clic")'
SIGNED_NUMBER_TEXT = "-12.5"
# A query thread (answered, then closed) on p1's first daily form, its text in the casebook.
QUERY_QUESTION = "Please confirm the MAP reading"
QUERY_ANSWER = "Confirmed on the bedside chart"
# A query on a restricted day-10 result: never in a blinded export.
D10_QUERY_QUESTION = "mHLA-DR result out of the usual range?"
# Long free text with accents, quotes, a comma and line breaks: every format keeps it whole.
LONG_TEXT = ('Écart « majeur », dose décalée; "note"\n' * 80).strip()


def build(users: dict[str, Any], site11: Any, site16: Any, *, monkeypatch: Any) -> dict[str, Any]:
    """Build the trial; kit codes come from a seeded generator so that two builds match."""
    monkeypatch.setattr(
        kit_codes,
        "generate_kit_codes",
        functools.partial(kit_codes.generate_kit_codes, rng=random.Random(20)),
    )
    inv, inv16, dm = users["investigator"], users["investigator_nantes"], users["data_manager"]
    p1 = randomized(site11, days_ago=20)
    p2 = randomized(site11, days_ago=15)
    p3 = randomized(site16, days_ago=12)
    for participant, by in ((p1, inv), (p2, inv), (p3, inv16)):
        crf.save_baseline(participant, by=by, data=baseline_data())
        d0 = d0_of(participant)
        crf.save_daily(participant, day_date=d0 + timedelta(days=1), by=by, data=daily_data())
        crf.save_injection(
            participant, number=1, by=by, data=injection_data(participant, paris(d0 + timedelta(1)))
        )
    d0 = d0_of(p1)
    crf.save_daily(p1, day_date=d0 + timedelta(days=2), by=inv, data=daily_data(imv=False))
    crf.save_d10_biology(
        p1,
        by=dm,
        data={
            "sample_taken": True,
            "sampled_at": paris(d0 + timedelta(days=10), 8),
            "mhla_dr_abc": 9137,
            "method": "STANDARDISED_FLOW",
            "laboratory": "LAB-11",
            "lymphocytes_value": "1234",
            "lymphocytes_unit": "/mm3",
        },
    )
    crf.save_infection(
        p1,
        by=inv,
        data={
            "onset_date": d0 + timedelta(days=3),
            "location": "STUDY_ICU",
            "category": "UTI",
            "uti_type": "UTI_B",
            "septic_shock": False,
            "microbiologically_documented": True,
        },
        microorganisms=[{"organism": "Escherichia coli", "esbl": "R"}],
    )
    crf.save_adverse_event(p1, by=inv, data=ae_data(term=FORMULA_TERM))
    crf.save_adverse_event(p1, by=inv, data=ae_data(term=SIGNED_NUMBER_TEXT))
    crf.save_protocol_deviation(
        p2, by=inv, data={"deviation_date": d0_of(p2), "description": LONG_TEXT}
    )
    voided = crf.save_adverse_event(p2, by=inv, data=ae_data(term="Duplicate entry")).obj
    crf.mark_entered_in_error(voided, by=inv, reason="duplicate")
    crf.save_adverse_event(p3, by=inv16, data=ae_data(term="Rash"))
    daily = DailyFollowUp.objects.filter(participant=p1).order_by("id").first()
    query = queries.raise_query(daily, field="map_mmhg", text=QUERY_QUESTION, by=dm)
    queries.answer_query(query, text=QUERY_ANSWER, by=inv)
    queries.close_query(query, by=dm, text="OK")
    d10_query = queries.raise_query(
        D10Biology.objects.get(participant=p1), field="mhla_dr_abc", text=D10_QUERY_QUESTION, by=dm
    )
    screenings = [
        make_screening(site11, eligible=True),
        make_screening(site11, eligible=False, age=17),
        make_screening(site16, eligible=True),
    ]
    return {
        "participants": [p1, p2, p3],
        "voided": voided,
        "screenings": screenings,
        "queries": [query, d10_query],
    }
