"""Daily ICU follow-up (crf-spec.md §2.6, SOFA inputs §2.4): one row per ICU calendar day."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from crf.models.base import CrfRecord, CrfStatus
from crf.units import (
    BilirubinUnit,
    CountUnit,
    CreatinineUnit,
    Fio2Unit,
    PressureUnit,
    VasopressorUnit,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class RespiratorySupport(models.TextChoices):
    NONE = "NONE", _("None")
    CONVENTIONAL_O2 = "CONVENTIONAL_O2", _("Conventional O₂")
    HFNO = "HFNO", _("High-flow nasal O₂")
    NIV_CPAP = "NIV_CPAP", _("NIV / CPAP")
    INVASIVE_MV = "INVASIVE_MV", _("Invasive MV")
    ECMO = "ECMO", _("ECMO")


# SOFA 1996 counts ventilation (invasive or not) and CPAP as "respiratory support".
SOFA_RESPIRATORY_SUPPORT = frozenset({"NIV_CPAP", "INVASIVE_MV", "ECMO"})


class NorepinephrineSalt(models.TextChoices):
    BASE = "BASE", _("Base")
    TARTRATE = "TARTRATE", _("Tartrate (bitartrate)")
    UNKNOWN = "UNKNOWN", _("Unknown")


class GcsStatus(models.TextChoices):
    ACTUAL = "ACTUAL", _("Actual")
    PRESUMED = "PRESUMED", _("Presumed pre-sedation")
    NOT_ASSESSABLE = "NOT_ASSESSABLE", _("Not assessable")


class Airway(models.TextChoices):
    NONE = "NONE", _("None")
    TUBE = "TUBE", _("Oro-/nasotracheal tube")
    TRACHEOSTOMY = "TRACHEOSTOMY", _("Tracheostomy")


class RrtMode(models.TextChoices):
    IHD = "IHD", _("Intermittent haemodialysis")
    CRRT = "CRRT", _("Continuous RRT")
    SLED = "SLED", _("SLED")


def _dec(label: StrOrPromise, digits: int, places: int) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=digits, decimal_places=places, null=True, blank=True
    )


def _standard(label: StrOrPromise, digits: int) -> models.DecimalField:
    """The standard-unit copy of an entered value: computed by the service, never typed."""
    return models.DecimalField(
        label, max_digits=digits, decimal_places=4, null=True, blank=True, editable=False
    )


def _flag(label: StrOrPromise) -> models.BooleanField:
    return models.BooleanField(label, null=True, blank=True)


@pghistory.track()
class DailyFollowUp(CrfRecord):
    """The worst values of one calendar day in the ICU (SOFA convention)."""

    FORM_CODE = "DAILY"
    CDASH = {
        "day_date": "VISDAT",
        "study_day": "VISITDY",
        "pao2_value": "LBORRES (LBTESTCD=PO2)",
        "pao2_unit": "LBORRESU",
        "pao2_mmhg": "LBSTRESN",
        "fio2_value": "FIO2",
        "respiratory_support": "PRTRT",
        "platelets_value": "LBORRES (LBTESTCD=PLAT)",
        "platelets_g_l": "LBSTRESN",
        "bilirubin_value": "LBORRES (LBTESTCD=BILI)",
        "bilirubin_umol_l": "LBSTRESN",
        "map_mmhg": "VSORRES (VSTESTCD=MAP)",
        "norepinephrine_value": "CMDOSE (CMTRT=NOREPINEPHRINE)",
        "epinephrine_value": "CMDOSE (CMTRT=EPINEPHRINE)",
        "dopamine_ug_kg_min": "CMDOSE (CMTRT=DOPAMINE)",
        "dobutamine_ug_kg_min": "CMDOSE (CMTRT=DOBUTAMINE)",
        "gcs": "QSORRES (GCS)",
        "creatinine_value": "LBORRES (LBTESTCD=CREAT)",
        "creatinine_umol_l": "LBSTRESN",
        "rrt": "PROCCUR (PRTRT=RRT)",
        "imv": "PROCCUR (PRTRT=INVASIVE MECHANICAL VENTILATION)",
        "vasopressor": "CMOCCUR",
        "antimicrobial": "CMOCCUR (CMCAT=ANTIMICROBIAL)",
        "corticosteroids": "CMOCCUR (CMCAT=CORTICOSTEROID)",
        "lymphocytes_value": "LBORRES (LBTESTCD=LYM)",
        "temperature_max_c": "VSORRES (VSTESTCD=TEMP)",
    }
    SOFA_FIELDS = (
        "sofa_respiration",
        "sofa_coagulation",
        "sofa_liver",
        "sofa_cardiovascular",
        "sofa_cns",
        "sofa_renal",
        "sofa_total",
    )
    SERVER_FIELDS = (
        "study_day",
        "pao2_mmhg",
        "fio2",
        "platelets_g_l",
        "bilirubin_umol_l",
        "norepinephrine_ug_kg_min",
        "epinephrine_ug_kg_min",
        "creatinine_umol_l",
        "lymphocytes_g_l",
        *SOFA_FIELDS,
    )

    day_date = models.DateField(_("date"))
    study_day = models.SmallIntegerField(_("study day"), editable=False)

    # SOFA inputs: value as entered + unit + standard copy.
    pao2_value = _dec(_("PaO₂ (lowest PaO₂/FiO₂ gas)"), 6, 1)
    pao2_unit = models.CharField(
        _("PaO₂ unit"), max_length=8, choices=PressureUnit.choices, blank=True
    )
    pao2_mmhg = models.DecimalField(
        _("PaO₂ (mmHg)"), max_digits=10, decimal_places=4, null=True, blank=True, editable=False
    )
    fio2_value = _dec(_("FiO₂ at that gas"), 5, 2)
    fio2_unit = models.CharField(_("FiO₂ unit"), max_length=8, choices=Fio2Unit.choices, blank=True)
    fio2 = models.DecimalField(
        _("FiO₂ (fraction)"), max_digits=7, decimal_places=4, null=True, blank=True, editable=False
    )
    respiratory_support = models.CharField(
        _("respiratory support at that gas"),
        max_length=16,
        choices=RespiratorySupport.choices,
        blank=True,
    )
    respiratory_failure_neurological = _flag(
        _("respiratory failure related to a neurological failure")
    )
    platelets_value = _dec(_("platelets (lowest)"), 7, 1)
    platelets_unit = models.CharField(
        _("platelets unit"), max_length=8, choices=CountUnit.choices, blank=True
    )
    platelets_g_l = models.DecimalField(
        _("platelets (G/L)"), max_digits=12, decimal_places=4, null=True, blank=True, editable=False
    )
    bilirubin_value = _dec(_("bilirubin (highest)"), 6, 1)
    bilirubin_unit = models.CharField(
        _("bilirubin unit"), max_length=8, choices=BilirubinUnit.choices, blank=True
    )
    bilirubin_umol_l = _standard(_("bilirubin (µmol/L)"), 12)
    map_mmhg = models.PositiveSmallIntegerField(_("MAP, lowest (mmHg)"), null=True, blank=True)
    norepinephrine_value = _dec(_("norepinephrine, highest rate ≥ 1 h"), 6, 2)
    norepinephrine_unit = models.CharField(
        _("norepinephrine unit"), max_length=10, choices=VasopressorUnit.choices, blank=True
    )
    norepinephrine_ug_kg_min = _standard(_("norepinephrine (µg/kg/min)"), 10)
    norepinephrine_salt = models.CharField(
        _("norepinephrine salt as prescribed"),
        max_length=10,
        choices=NorepinephrineSalt.choices,
        blank=True,
    )
    epinephrine_value = _dec(_("epinephrine"), 6, 2)
    epinephrine_unit = models.CharField(
        _("epinephrine unit"), max_length=10, choices=VasopressorUnit.choices, blank=True
    )
    epinephrine_ug_kg_min = _standard(_("epinephrine (µg/kg/min)"), 10)
    dopamine_ug_kg_min = _dec(_("dopamine (µg/kg/min)"), 5, 1)
    dobutamine_ug_kg_min = _dec(_("dobutamine (µg/kg/min)"), 5, 1)
    other_vasopressor = _flag(_("other vasopressor (vasopressin, terlipressin …)"))
    gcs = models.PositiveSmallIntegerField(_("Glasgow Coma Scale, lowest"), null=True, blank=True)
    gcs_status = models.CharField(
        _("GCS status"), max_length=16, choices=GcsStatus.choices, blank=True
    )
    creatinine_value = _dec(_("creatinine (highest)"), 6, 1)
    creatinine_unit = models.CharField(
        _("creatinine unit"), max_length=8, choices=CreatinineUnit.choices, blank=True
    )
    creatinine_umol_l = _standard(_("creatinine (µmol/L)"), 12)
    urine_output_ml = models.PositiveIntegerField(
        _("urine output over 24 h (mL)"), null=True, blank=True
    )
    rrt = _flag(_("renal replacement therapy"))
    rrt_mode = models.CharField(_("RRT mode"), max_length=6, choices=RrtMode.choices, blank=True)

    # Derived SOFA (eligibility.scores), recomputed by the service on every save.
    sofa_respiration = models.PositiveSmallIntegerField(
        _("SOFA respiration"), null=True, blank=True, editable=False
    )
    sofa_coagulation = models.PositiveSmallIntegerField(
        _("SOFA coagulation"), null=True, blank=True, editable=False
    )
    sofa_liver = models.PositiveSmallIntegerField(
        _("SOFA liver"), null=True, blank=True, editable=False
    )
    sofa_cardiovascular = models.PositiveSmallIntegerField(
        _("SOFA cardiovascular"), null=True, blank=True, editable=False
    )
    sofa_cns = models.PositiveSmallIntegerField(
        _("SOFA CNS"), null=True, blank=True, editable=False
    )
    sofa_renal = models.PositiveSmallIntegerField(
        _("SOFA renal"), null=True, blank=True, editable=False
    )
    sofa_total = models.PositiveSmallIntegerField(
        _("SOFA total"), null=True, blank=True, editable=False
    )

    # Organ support and devices.
    imv = _flag(_("invasive mechanical ventilation"))
    airway = models.CharField(
        _("artificial airway"), max_length=14, choices=Airway.choices, blank=True
    )
    niv = _flag(_("NIV / CPAP"))
    hfno = _flag(_("high-flow nasal O₂"))
    ecmo = _flag(_("ECMO"))
    vasopressor = _flag(_("vasopressor or inotrope"))
    antimicrobial = _flag(_("systemic antibiotic, antifungal or antiviral"))
    cvc = _flag(_("central venous catheter in place"))
    arterial_catheter = _flag(_("arterial catheter in place"))
    urinary_catheter = _flag(_("urinary catheter in place"))
    corticosteroids = _flag(_("systemic corticosteroids"))
    lymphocytes_value = _dec(_("lymphocytes (if measured)"), 7, 2)
    lymphocytes_unit = models.CharField(
        _("lymphocytes unit"), max_length=8, choices=CountUnit.choices, blank=True
    )
    lymphocytes_g_l = _standard(_("lymphocytes (G/L)"), 12)
    temperature_max_c = _dec(_("highest temperature (°C)"), 3, 1)
    new_infection_suspected = _flag(_("new infection suspected or diagnosed today"))
    new_adverse_event = _flag(_("new AE or SAE today"))
    lst_limitation = _flag(_("limitation or withdrawal of life-sustaining therapy decided"))
    lst_limitation_date = models.DateField(_("LST limitation date"), null=True, blank=True)

    class Meta:
        verbose_name = _("daily ICU follow-up")
        verbose_name_plural = _("daily ICU follow-ups")
        ordering = ["participant_id", "day_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "day_date"],
                condition=~models.Q(status=CrfStatus.ENTERED_IN_ERROR),
                name="crf_daily_one_per_day",
            ),
        ]
        indexes = [models.Index(fields=["participant", "study_day"], name="crf_daily_part_day")]

    def __str__(self) -> str:
        return f"{self.participant} · D{self.study_day}"
