"""Screening log models (crf-spec.md §2.1–2.4). Values are stored as entered, with their unit."""

from eligibility.models.consent import Consent, EligibilityConfirmation
from eligibility.models.measurements import (
    ApacheIIValues,
    CorticosteroidCourse,
    LymphocyteCount,
    MhlaDrResult,
    ScreeningLabs,
    SofaDay,
)
from eligibility.models.screening import Screening, ScreeningQuerySet, SiteSequence

__all__ = [
    "ApacheIIValues",
    "Consent",
    "CorticosteroidCourse",
    "EligibilityConfirmation",
    "LymphocyteCount",
    "MhlaDrResult",
    "Screening",
    "ScreeningLabs",
    "ScreeningQuerySet",
    "SiteSequence",
    "SofaDay",
]
