"""Demographics and baseline (crf-spec.md §2.3). No direct identifier: month/year of birth."""

from __future__ import annotations

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from crf.models.base import CrfRecord, CrfStatus


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class WeightMethod(models.TextChoices):
    MEASURED = "MEASURED", _("Measured")
    ESTIMATED = "ESTIMATED", _("Estimated")
    DECLARED = "DECLARED", _("Declared")


class AdmissionSource(models.TextChoices):
    EMERGENCY_DEPT = "EMERGENCY_DEPT", _("Emergency department")
    WARD_SAME_HOSPITAL = "WARD_SAME_HOSPITAL", _("Ward, same hospital")
    OTHER_HOSPITAL = "OTHER_HOSPITAL", _("Other hospital (ward)")
    OTHER_ICU = "OTHER_ICU", _("Other ICU")
    OPERATING_ROOM = "OPERATING_ROOM", _("Operating room")
    PRE_HOSPITAL = "PRE_HOSPITAL", _("Pre-hospital (SAMU)")
    OTHER = "OTHER", _("Other")


class AdmissionType(models.TextChoices):
    MEDICAL = "MEDICAL", _("Medical")
    SCHEDULED_SURGERY = "SCHEDULED_SURGERY", _("Scheduled surgery")
    UNSCHEDULED_SURGERY = "UNSCHEDULED_SURGERY", _("Unscheduled surgery")
    TRAUMA = "TRAUMA", _("Trauma")


class MainDiagnosis(models.TextChoices):
    SEPSIS = "SEPSIS", _("Sepsis / septic shock")
    COMMUNITY_PNEUMONIA = "COMMUNITY_PNEUMONIA", _("Community pneumonia")
    ARDS = "ARDS", _("ARDS / acute respiratory failure (non-infectious)")
    CARDIAC_ARREST = "CARDIAC_ARREST", _("Cardiac arrest")
    CARDIOGENIC_SHOCK = "CARDIOGENIC_SHOCK", _("Cardiogenic shock")
    HAEMORRHAGIC_SHOCK = "HAEMORRHAGIC_SHOCK", _("Haemorrhagic shock")
    TRAUMA = "TRAUMA", _("Trauma without brain or spinal injury")
    TRAUMA_BRAIN_SPINAL = "TRAUMA_BRAIN_SPINAL", _("Trauma with brain or spinal injury")
    STROKE = "STROKE", _("Stroke / ICH / SAH")
    OTHER_NEUROLOGICAL = "OTHER_NEUROLOGICAL", _("Other neurological")
    MAJOR_POST_OPERATIVE = "MAJOR_POST_OPERATIVE", _("Major post-operative")
    ACUTE_PANCREATITIS = "ACUTE_PANCREATITIS", _("Acute pancreatitis")
    BURNS = "BURNS", _("Burns")
    POISONING = "POISONING", _("Poisoning")
    ACUTE_LIVER_FAILURE = "ACUTE_LIVER_FAILURE", _("Acute liver failure")
    AKI_METABOLIC = "AKI_METABOLIC", _("AKI / metabolic")
    OTHER = "OTHER", _("Other")


class McCabe(models.TextChoices):
    NON_FATAL = "NON_FATAL", _("Non-fatal")
    ULTIMATELY_FATAL = "ULTIMATELY_FATAL", _("Ultimately fatal (1–5 years)")
    RAPIDLY_FATAL = "RAPIDLY_FATAL", _("Rapidly fatal (< 1 year)")
    UNKNOWN = "UNKNOWN", _("Unknown")


class Residence(models.TextChoices):
    HOME = "HOME", _("Home (independent)")
    HOME_WITH_HELP = "HOME_WITH_HELP", _("Home with help")
    NURSING_HOME = "NURSING_HOME", _("Nursing home (EHPAD)")
    REHABILITATION = "REHABILITATION", _("Rehabilitation / long-term care")
    OTHER = "OTHER", _("Other")


class PregnancyTest(models.TextChoices):
    NEGATIVE = "NEG", _("Negative")
    POSITIVE = "POS", _("Positive")
    NOT_DONE = "NOT_DONE", _("Not done")


# Charlson comorbidity items and their weights (Charlson 1987; crf-spec.md §2.3).
class CharlsonItem(models.TextChoices):
    MI = "MI", _("Myocardial infarction")
    CHF = "CHF", _("Congestive heart failure")
    PVD = "PVD", _("Peripheral vascular disease")
    CEREBROVASCULAR = "CEREBROVASCULAR", _("Cerebrovascular disease")
    DEMENTIA = "DEMENTIA", _("Dementia")
    CHRONIC_PULMONARY = "CHRONIC_PULMONARY", _("Chronic pulmonary disease")
    CONNECTIVE_TISSUE = "CONNECTIVE_TISSUE", _("Connective tissue disease")
    PEPTIC_ULCER = "PEPTIC_ULCER", _("Peptic ulcer")
    MILD_LIVER = "MILD_LIVER", _("Mild liver disease")
    DIABETES = "DIABETES", _("Diabetes without complications")
    HEMIPLEGIA = "HEMIPLEGIA", _("Hemiplegia")
    RENAL = "RENAL", _("Moderate or severe renal disease")
    DIABETES_END_ORGAN = "DIABETES_END_ORGAN", _("Diabetes with end-organ damage")
    TUMOUR = "TUMOUR", _("Any tumour (≤ 5 years)")
    LEUKAEMIA = "LEUKAEMIA", _("Leukaemia")
    LYMPHOMA = "LYMPHOMA", _("Lymphoma")
    SEVERE_LIVER = "SEVERE_LIVER", _("Moderate or severe liver disease")
    METASTATIC = "METASTATIC", _("Metastatic solid tumour")
    AIDS = "AIDS", _("AIDS")


CHARLSON_WEIGHTS: dict[str, int] = {
    **dict.fromkeys(
        (
            "MI",
            "CHF",
            "PVD",
            "CEREBROVASCULAR",
            "DEMENTIA",
            "CHRONIC_PULMONARY",
            "CONNECTIVE_TISSUE",
            "PEPTIC_ULCER",
            "MILD_LIVER",
            "DIABETES",
        ),
        1,
    ),
    **dict.fromkeys(
        ("HEMIPLEGIA", "RENAL", "DIABETES_END_ORGAN", "TUMOUR", "LEUKAEMIA", "LYMPHOMA"), 2
    ),
    "SEVERE_LIVER": 3,
    "METASTATIC": 6,
    "AIDS": 6,
}


@pghistory.track()
class Baseline(CrfRecord):
    """Demographics and baseline, one per participant."""

    FORM_CODE = "BASELINE"
    CDASH = {
        "birth_year": "BRTHDAT",
        "birth_month": "BRTHDAT",
        "age_years": "AGE",
        "sex": "SEX",
        "childbearing_potential": "RPORRES (RPTESTCD=CHILDPOT)",
        "pregnancy_test": "LBORRES (LBTESTCD=HCG)",
        "pregnancy_test_date": "LBDAT",
        "weight_kg": "VSORRES (VSTESTCD=WEIGHT)",
        "weight_method": "VSMETHOD",
        "height_cm": "VSORRES (VSTESTCD=HEIGHT)",
        "bmi": "VSORRES (VSTESTCD=BMI)",
        "main_diagnosis": "MHTERM (MHCAT=ICU ADMISSION DIAGNOSIS)",
        "admission_diagnosis_text": "MHTERM",
        "mccabe": "SCORRES (SCTESTCD=MCCABE)",
        "charlson_items": "MHTERM (MHCAT=CHARLSON)",
        "residence": "SCORRES",
    }
    SERVER_FIELDS = ("age_years", "bmi", "charlson_index")

    birth_month = models.PositiveSmallIntegerField(_("month of birth"), null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    age_years = models.PositiveSmallIntegerField(
        _("age at randomisation (years)"), null=True, blank=True, editable=False
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    childbearing_potential = models.BooleanField(
        _("woman of childbearing potential"), null=True, blank=True
    )
    pregnancy_test = models.CharField(
        _("pregnancy test"), max_length=10, choices=PregnancyTest.choices, blank=True
    )
    pregnancy_test_date = models.DateField(_("pregnancy test date"), null=True, blank=True)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    weight_method = models.CharField(
        _("weight method"), max_length=10, choices=WeightMethod.choices, blank=True
    )
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"), null=True, blank=True)
    bmi = models.DecimalField(
        _("BMI (kg/m²)"), max_digits=4, decimal_places=1, null=True, blank=True, editable=False
    )
    admission_source = models.CharField(
        _("admission source"), max_length=20, choices=AdmissionSource.choices, blank=True
    )
    admission_type = models.CharField(
        _("admission type"), max_length=20, choices=AdmissionType.choices, blank=True
    )
    main_diagnosis = models.CharField(
        _("main diagnosis category at ICU admission"),
        max_length=24,
        choices=MainDiagnosis.choices,
        blank=True,
    )
    main_diagnosis_other = models.CharField(_("other diagnosis (text)"), max_length=200, blank=True)
    sepsis_at_admission = models.BooleanField(
        _("sepsis (Sepsis-3) at ICU admission"), null=True, blank=True
    )
    sepsis_site = models.CharField(_("sepsis site"), max_length=100, blank=True)
    admission_diagnosis_text = models.CharField(
        _("admission diagnosis (text, ICD-10)"), max_length=200, blank=True
    )
    mccabe = models.CharField(_("McCabe score"), max_length=20, choices=McCabe.choices, blank=True)
    charlson_items = ArrayField(
        models.CharField(max_length=24, choices=CharlsonItem.choices),
        default=list,
        blank=True,
        verbose_name=_("Charlson comorbidities present"),
    )
    charlson_none = models.BooleanField(_("no Charlson comorbidity"), default=False)
    charlson_index = models.PositiveSmallIntegerField(
        _("Charlson index"), null=True, blank=True, editable=False
    )
    saps2 = models.PositiveSmallIntegerField(_("SAPS II, first 24 h"), null=True, blank=True)
    residence = models.CharField(
        _("place of residence before admission"),
        max_length=20,
        choices=Residence.choices,
        blank=True,
    )

    class Meta:
        verbose_name = _("demographics and baseline")
        verbose_name_plural = _("demographics and baseline")
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=~models.Q(status=CrfStatus.ENTERED_IN_ERROR),
                name="crf_baseline_one_per_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {_('baseline')}"
