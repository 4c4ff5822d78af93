"""Raw screening values, stored as entered with their unit (crf-spec.md §2.1, §2.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pghistory
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eligibility.models.choices import (
    ChronicHealth,
    Corticosteroid,
    CreatinineUnit,
    LymphocyteUnit,
    PaO2Unit,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _dec(label: StrOrPromise, digits: int = 8, places: int = 2) -> models.DecimalField:
    return models.DecimalField(
        label, max_digits=digits, decimal_places=places, null=True, blank=True
    )


def _unit(choices: type[models.TextChoices], default: str) -> models.CharField:
    return models.CharField(_("unit"), max_length=8, choices=choices.choices, default=default)


class RowQuerySet(models.QuerySet):
    def current(self) -> RowQuerySet:
        """Rows not removed by the user (removal voids a row: clinical data is never deleted)."""
        return self.filter(voided_at__isnull=True)


class ScreeningRow(models.Model):
    """A repeating-group row of one screening."""

    voided_at = models.DateTimeField(_("removed at"), null=True, blank=True, editable=False)

    objects = RowQuerySet.as_manager()

    class Meta:
        abstract = True

    def void(self) -> None:
        self.voided_at = timezone.now()
        self.save(update_fields=["voided_at"])


@pghistory.track()
class SofaDay(ScreeningRow):
    """Worst values of one ICU day (day 1 = the Europe/Paris date of ICU admission)."""

    screening = models.ForeignKey(
        "eligibility.Screening", on_delete=models.PROTECT, related_name="sofa_days"
    )
    icu_day = models.PositiveSmallIntegerField(_("ICU day"))
    pao2 = _dec(_("PaO₂"), 6, 1)
    pao2_unit = _unit(PaO2Unit, PaO2Unit.MMHG)
    fio2 = _dec(_("FiO₂ (fraction)"), 4, 2)
    respiratory_support = models.BooleanField(_("ventilation / CPAP"), null=True, blank=True)
    platelets_g_l = _dec(_("platelets (G/L)"), 6, 0)
    bilirubin = _dec(_("bilirubin"), 7, 2)
    bilirubin_unit = _unit(CreatinineUnit, CreatinineUnit.UMOL_L)
    map_mmhg = _dec(_("MAP (mmHg)"), 4, 0)
    dopamine_ug_kg_min = _dec(_("dopamine (µg/kg/min)"), 5, 1)
    dobutamine_ug_kg_min = _dec(_("dobutamine (µg/kg/min)"), 5, 1)
    epinephrine_ug_kg_min = _dec(_("adrenaline (µg/kg/min)"), 5, 2)
    norepinephrine_ug_kg_min = _dec(_("noradrenaline (µg/kg/min)"), 5, 2)
    gcs = models.PositiveSmallIntegerField(_("GCS"), null=True, blank=True)
    creatinine = _dec(_("creatinine"), 7, 2)
    creatinine_unit = _unit(CreatinineUnit, CreatinineUnit.UMOL_L)
    urine_output_ml_24h = _dec(_("urine (ml/24 h)"), 6, 0)
    respiratory_failure_due_to_neurological_failure = models.BooleanField(
        _("respiratory failure of neurological origin"), null=True, blank=True
    )

    class Meta:
        ordering = ["icu_day"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "icu_day"],
                condition=models.Q(voided_at__isnull=True),
                name="sofa_day_unique_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.screening_id} · ICU day {self.icu_day}"


@pghistory.track()
class MhlaDrResult(ScreeningRow):
    screening = models.ForeignKey(
        "eligibility.Screening", on_delete=models.PROTECT, related_name="mhla_dr_results"
    )
    ab_per_cell = models.PositiveIntegerField(_("mHLA-DR (AB/C)"), null=True, blank=True)
    sampled_at = models.DateTimeField(_("sampled at"), null=True, blank=True)
    laboratory = models.CharField(_("laboratory"), max_length=100, blank=True)

    class Meta:
        ordering = ["sampled_at", "pk"]

    def __str__(self) -> str:
        return f"{self.screening_id} · mHLA-DR {self.ab_per_cell}"


@pghistory.track()
class LymphocyteCount(ScreeningRow):
    screening = models.ForeignKey(
        "eligibility.Screening", on_delete=models.PROTECT, related_name="lymphocyte_counts"
    )
    value = _dec(_("lymphocytes"), 9, 3)
    unit = _unit(LymphocyteUnit, LymphocyteUnit.G_L)
    sampled_at = models.DateTimeField(_("sampled at"), null=True, blank=True)

    class Meta:
        ordering = ["sampled_at", "pk"]

    def __str__(self) -> str:
        return f"{self.screening_id} · lymphocytes {self.value} {self.unit}"


@pghistory.track()
class CorticosteroidCourse(ScreeningRow):
    screening = models.ForeignKey(
        "eligibility.Screening", on_delete=models.PROTECT, related_name="corticosteroid_courses"
    )
    drug = models.CharField(_("drug"), max_length=20, choices=Corticosteroid.choices, blank=True)
    daily_dose_mg = _dec(_("daily dose (mg)"), 7, 2)
    duration_days = _dec(_("duration (days)"), 6, 1)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.screening_id} · {self.drug}"


@pghistory.track()
class ApacheIIValues(models.Model):
    """Worst values of the 24 h before the screening assessment."""

    screening = models.OneToOneField(
        "eligibility.Screening", on_delete=models.PROTECT, related_name="apache_ii"
    )
    temperature_c = _dec(_("temperature (°C)"), 4, 1)
    map_mmhg = _dec(_("MAP (mmHg)"), 4, 0)
    heart_rate = _dec(_("heart rate (/min)"), 4, 0)
    respiratory_rate = _dec(_("respiratory rate (/min)"), 4, 0)
    fio2 = _dec(_("FiO₂ (fraction)"), 4, 2)
    pao2 = _dec(_("PaO₂"), 6, 1)
    pao2_unit = _unit(PaO2Unit, PaO2Unit.MMHG)
    paco2 = _dec(_("PaCO₂"), 6, 1)
    paco2_unit = _unit(PaO2Unit, PaO2Unit.MMHG)
    arterial_ph = _dec(_("arterial pH"), 4, 2)
    sodium_mmol_l = _dec(_("sodium (mmol/L)"), 5, 0)
    potassium_mmol_l = _dec(_("potassium (mmol/L)"), 4, 1)
    creatinine = _dec(_("creatinine"), 7, 2)
    creatinine_unit = _unit(CreatinineUnit, CreatinineUnit.UMOL_L)
    acute_renal_failure = models.BooleanField(_("acute renal failure"), null=True, blank=True)
    hematocrit_pct = _dec(_("haematocrit (%)"), 4, 1)
    wbc_g_l = _dec(_("white cells (G/L)"), 5, 1)
    gcs = models.PositiveSmallIntegerField(_("GCS"), null=True, blank=True)
    chronic_health = models.CharField(
        _("chronic health"), max_length=24, choices=ChronicHealth.choices, blank=True
    )

    def __str__(self) -> str:
        return f"{self.screening_id} · APACHE II values"


@pghistory.track()
class ScreeningLabs(models.Model):
    """Latest values before the screening, with the local upper limits of normal."""

    screening = models.OneToOneField(
        "eligibility.Screening", on_delete=models.PROTECT, related_name="labs"
    )
    platelets_g_l = _dec(_("platelets (G/L)"), 6, 0)
    ast_u_l = _dec(_("AST (U/L)"), 7, 0)
    ast_uln = _dec(_("AST ULN (U/L)"), 5, 0)
    alt_u_l = _dec(_("ALT (U/L)"), 7, 0)
    alt_uln = _dec(_("ALT ULN (U/L)"), 5, 0)
    lipase_u_l = _dec(_("lipase (U/L)"), 7, 0)
    lipase_uln = _dec(_("lipase ULN (U/L)"), 7, 0)
    amylase_u_l = _dec(_("amylase (U/L)"), 7, 0)
    amylase_uln = _dec(_("amylase ULN (U/L)"), 7, 0)
    creatinine = _dec(_("creatinine"), 7, 2)
    creatinine_unit = _unit(CreatinineUnit, CreatinineUnit.UMOL_L)

    def __str__(self) -> str:
        return f"{self.screening_id} · labs"
