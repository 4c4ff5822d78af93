"""CRF models (crf-spec.md §2.3, §2.5–2.17); crf/README.md lists them with their keys."""

from crf.models.base import CrfQuerySet, CrfRecord, CrfStatus, DeathCause, VitalStatus
from crf.models.baseline import Baseline
from crf.models.biology import D10Biology
from crf.models.daily import DailyFollowUp
from crf.models.deviation_review import DeviationReview
from crf.models.drug import StudyDrugAdministration
from crf.models.followup import EndOfStudy, FollowUp, ProtocolDeviation, Readmission
from crf.models.infection import InfectionMicroorganism, SecondaryInfection
from crf.models.notifications import SaeNotification
from crf.models.queries import (
    DataQuery,
    MessageKind,
    QueryMessage,
    QueryOrigin,
    QueryStatus,
)
from crf.models.safety import AdverseEvent, ConcomitantMedication
from crf.models.stays import Death, HospitalDischarge, IcuStay

__all__ = [
    "AdverseEvent",
    "Baseline",
    "ConcomitantMedication",
    "CrfQuerySet",
    "CrfRecord",
    "CrfStatus",
    "D10Biology",
    "DailyFollowUp",
    "DataQuery",
    "Death",
    "DeathCause",
    "DeviationReview",
    "EndOfStudy",
    "FollowUp",
    "HospitalDischarge",
    "IcuStay",
    "InfectionMicroorganism",
    "MessageKind",
    "ProtocolDeviation",
    "QueryMessage",
    "QueryOrigin",
    "QueryStatus",
    "Readmission",
    "SaeNotification",
    "SecondaryInfection",
    "StudyDrugAdministration",
    "VitalStatus",
]
