"""CRF write actions. Views and tasks import from here."""

from crf.services.core import (
    CrfRefused,
    ParticipantLocked,
    SaveResult,
    mark_entered_in_error,
)
from crf.services.deviations import ReviewRefused, review_deviation
from crf.services.events import (
    acknowledge_sae,
    record_death,
    send_sae_notification,
)
from crf.services.forms import (
    record_icu_discharge,
    save_adverse_event,
    save_baseline,
    save_concomitant_medication,
    save_d10_biology,
    save_daily,
    save_end_of_study,
    save_follow_up,
    save_for,
    save_hospital_discharge,
    save_icu_stay,
    save_infection,
    save_injection,
    save_protocol_deviation,
)

__all__ = [
    "CrfRefused",
    "ParticipantLocked",
    "ReviewRefused",
    "SaveResult",
    "acknowledge_sae",
    "mark_entered_in_error",
    "record_death",
    "record_icu_discharge",
    "review_deviation",
    "save_adverse_event",
    "save_baseline",
    "save_concomitant_medication",
    "save_d10_biology",
    "save_daily",
    "save_end_of_study",
    "save_follow_up",
    "save_for",
    "save_hospital_discharge",
    "save_icu_stay",
    "save_infection",
    "save_injection",
    "save_protocol_deviation",
    "send_sae_notification",
]
