"""The daily ICU flowsheet layout (docs/decisions/0033-daily-flowsheet.md).

Variables in rows, grouped by organ system; ICU days in columns, a week per screen. A row
holds a value and its unit (and the noradrenaline salt) side by side; every item of
crf.rules.daily.GRID_FIELDS sits in exactly one row (tests/crf/test_flowsheet.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from crf.models import DailyFollowUp

WEEK = 7

# (key, heading, rows); a row is the items shown side by side in one cell of a day.
GROUPS: tuple[tuple[str, Any, tuple[tuple[str, ...], ...]], ...] = (
    (
        "respiratory",
        _("Respiratory"),
        (
            ("pao2_value", "pao2_unit"),
            ("fio2_value", "fio2_unit"),
            ("respiratory_support",),
            ("respiratory_failure_neurological",),
            ("imv",),
            ("airway",),
            ("niv",),
            ("hfno",),
            ("ecmo",),
        ),
    ),
    (
        "cardiovascular",
        _("Cardiovascular"),
        (
            ("map_mmhg",),
            ("vasopressor",),
            ("norepinephrine_value", "norepinephrine_unit"),
            ("norepinephrine_salt",),
            ("epinephrine_value", "epinephrine_unit"),
            ("dopamine_ug_kg_min",),
            ("dobutamine_ug_kg_min",),
            ("other_vasopressor",),
        ),
    ),
    (
        "renal",
        _("Renal"),
        (
            ("creatinine_value", "creatinine_unit"),
            ("urine_output_ml",),
            ("rrt",),
            ("rrt_mode",),
        ),
    ),
    ("neurological", _("Neurological"), (("gcs",), ("gcs_status",))),
    (
        "liver",
        _("Liver and coagulation"),
        (("bilirubin_value", "bilirubin_unit"), ("platelets_value", "platelets_unit")),
    ),
    ("devices", _("Devices"), (("cvc",), ("arterial_catheter",), ("urinary_catheter",))),
    (
        "treatments",
        _("Treatments"),
        (("antimicrobial",), ("corticosteroids",), ("lst_limitation",), ("lst_limitation_date",)),
    ),
    (
        "events",
        _("Infection and events"),
        (
            ("temperature_max_c",),
            ("lymphocytes_value", "lymphocytes_unit"),
            ("new_infection_suspected",),
            ("new_adverse_event",),
        ),
    ),
)

# The daily SOFA at the top: total first, then its six components.
SOFA_ROWS = (
    "sofa_total",
    *(name for name in DailyFollowUp.SOFA_FIELDS if name != "sofa_total"),
)


def items() -> list[str]:
    """Every item of the flowsheet, in its tab order down a day."""
    return [name for _key, _heading, rows in GROUPS for row in rows for name in row]


def weeks(days: list[date]) -> list[list[date]]:
    """The ICU days cut in weeks of seven, from the first one."""
    return [days[i : i + WEEK] for i in range(0, len(days), WEEK)]


def week_holding(days: list[date], day: date) -> int:
    """The 1-based week that shows `day` (the nearest one when it is not an ICU day)."""
    before = [d for d in days if d <= day]
    return max(1, (len(before) - 1) // WEEK + 1) if before else 1
