"""Code lists of the screening forms (crf-spec.md §2.1, §2.2). Keys match the engine's JSON."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Contraception(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class PaO2Unit(models.TextChoices):
    MMHG = "mmHg", "mmHg"
    KPA = "kPa", "kPa"


class CreatinineUnit(models.TextChoices):
    UMOL_L = "umol/L", "µmol/L"
    MG_DL = "mg/dL", "mg/dL"


class LymphocyteUnit(models.TextChoices):
    G_L = "G/L", "G/L"
    PER_MM3 = "/mm3", "/mm³"


class ChronicHealth(models.TextChoices):
    NONE = "none", _("None")
    NONOPERATIVE = "nonoperative", _("Non-operative")
    EMERGENCY_POSTOPERATIVE = "emergency_postoperative", _("Emergency post-operative")
    ELECTIVE_POSTOPERATIVE = "elective_postoperative", _("Elective post-operative")


class Corticosteroid(models.TextChoices):
    # protocol.md §5: the drugs with a prednisone equivalent (fludrocortisone counts 0).
    PREDNISONE = "prednisone", _("Prednisone")
    PREDNISOLONE = "prednisolone", _("Prednisolone")
    METHYLPREDNISOLONE = "methylprednisolone", _("Methylprednisolone")
    TRIAMCINOLONE = "triamcinolone", _("Triamcinolone")
    HYDROCORTISONE = "hydrocortisone", _("Hydrocortisone")
    CORTISONE = "cortisone", _("Cortisone")
    DEXAMETHASONE = "dexamethasone", _("Dexamethasone")
    BETAMETHASONE = "betamethasone", _("Betamethasone")
    FLUDROCORTISONE = "fludrocortisone", _("Fludrocortisone")


class ConsentGiver(models.TextChoices):
    PATIENT = "PATIENT", _("Patient")
    PROXY = "PROXY", _("Proxy (relative or trusted person)")
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE", _("Legal representative")
    EMERGENCY_PROCEDURE = "EMERGENCY_PROCEDURE", _("Emergency procedure (no proxy present)")


class ContinuationConsent(models.TextChoices):
    OBTAINED = "OBTAINED", _("Obtained")
    REFUSED = "REFUSED", _("Refused")
    NOT_YET = "NOT_YET", _("Not yet (still lacks capacity)")
    NOT_APPLICABLE = "NOT_APPLICABLE", _("Not applicable (died or never regained capacity)")


# Approved information sheet / consent form versions (decided here; the sponsor edits this list).
INFORMATION_SHEET_VERSIONS: list[tuple[str, str]] = [("1.0", "1.0"), ("1.1", "1.1")]

# The meaning of the investigator's e-signature at enrolment (21 CFR 11.50).
CONFIRMATION_STATEMENT = _("I confirm this patient meets all eligibility criteria")
