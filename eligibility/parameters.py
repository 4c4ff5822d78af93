"""Eligibility thresholds and choices that protocol.md marks "decided here".

The sponsor may change any of these; keep every such value here and nowhere else.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Final

# I1: adult, at least 7 × 24 h of real elapsed time in the ICU.
MIN_AGE_YEARS: Final = 18
MIN_ICU_STAY: Final = timedelta(hours=7 * 24)

# I2: the investigator expects an ICU stay longer than this (informational: the answer is typed).
EXPECTED_ICU_STAY_DAYS: Final = 10

# I3: an adjusted SOFA of at least this value on ICU day 1..LAST_FIRST_WEEK_ICU_DAY.
MIN_ADJUSTED_SOFA: Final = 6
LAST_FIRST_WEEK_ICU_DAY: Final = 7

# I4: mHLA-DR strictly below, lymphocytes strictly below, samples at most this far apart.
MHLA_DR_LIMIT_AB_PER_CELL: Final = Decimal(8000)
LYMPHOCYTE_LIMIT_PER_MM3: Final = Decimal(1000)
MAX_IMMUNOSUPPRESSION_SAMPLE_GAP: Final = timedelta(hours=96)

# E4: excluded when APACHE II is at least this value.
APACHE_II_EXCLUSION_THRESHOLD: Final = 30

# E13: prednisone-equivalent dose strictly above this for strictly more than the days below,
# or any corticosteroid course strictly longer than LONG_CORTICOSTEROID_COURSE_DAYS.
CORTICOSTEROID_DOSE_LIMIT_MG_PER_KG_DAY: Final = Decimal(1)
HIGH_DOSE_CORTICOSTEROID_MIN_DAYS: Final = Decimal(7)
LONG_CORTICOSTEROID_COURSE_DAYS: Final = Decimal(90)
# Fludrocortisone counts as 0 mg prednisone (protocol.md §5), but it is a corticosteroid:
# decided here that a fludrocortisone course longer than 90 days still triggers E13.
FLUDROCORTISONE_COUNTS_FOR_LONG_COURSE: Final = True

# E14: excluded when platelets are strictly below this value (G/L).
PLATELETS_LIMIT_G_L: Final = Decimal(50)

# E18 / E19: multiples of the local upper limit of normal, compared strictly ("> n × ULN").
TRANSAMINASE_ULN_FACTOR: Final = Decimal(5)
PANCREATIC_ENZYME_ULN_FACTOR: Final = Decimal(3)

# E20: excluded when eGFR (CKD-EPI 2021) is strictly below this value (ml/min/1.73 m²).
EGFR_LIMIT: Final = Decimal(10)
