"""Secondary infection episodes (crf-spec.md §2.8; ECDC HAI-Net ICU categories)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from crf.models.base import CrfRecord

if TYPE_CHECKING:
    from accounts.types import Visitor


class InfectionLocation(models.TextChoices):
    STUDY_ICU = "STUDY_ICU", _("Study ICU")
    OTHER_ICU = "OTHER_ICU", _("Other ICU")
    WARD = "WARD", _("Ward (same hospital)")
    OTHER_HOSPITAL = "OTHER_HOSPITAL", _("Other hospital")
    REHABILITATION = "REHABILITATION", _("Rehabilitation / long-term care")
    COMMUNITY = "COMMUNITY", _("Community (after discharge)")


class InfectionCategory(models.TextChoices):
    PN = "PN", _("Pneumonia")
    BSI = "BSI", _("Bloodstream infection")
    CRI = "CRI", _("Catheter-related infection (no BSI)")
    UTI = "UTI", _("Urinary tract infection")
    IAI = "IAI", _("Intra-abdominal infection")
    SST = "SST", _("Skin and soft tissue")
    SSI = "SSI", _("Surgical site infection")
    OTHER = "OTHER", _("Other")


class PneumoniaLevel(models.TextChoices):
    PN1 = "PN1", _("PN1: protected quantitative LRT sample")
    PN2 = "PN2", _("PN2: quantitative endotracheal aspirate")
    PN3 = "PN3", _("PN3: alternative microbiology")
    PN4 = "PN4", _("PN4: sputum or non-quantitative LRT culture")
    PN5 = "PN5", _("PN5: no positive microbiology")


class BsiOrigin(models.TextChoices):
    CVC = "CVC", _("CVC-related")
    PERIPHERAL = "PERIPHERAL", _("Peripheral catheter")
    PULMONARY = "PULMONARY", _("Secondary to pulmonary")
    UTI = "UTI", _("Secondary to UTI")
    DIGESTIVE = "DIGESTIVE", _("Secondary to digestive")
    SSI = "SSI", _("Secondary to SSI")
    SST = "SST", _("Secondary to SST")
    OTHER = "OTHER", _("Other site")
    UNKNOWN = "UNKNOWN", _("Unknown origin (verified)")
    NO_INFORMATION = "NO_INFORMATION", _("No information")


class CriType(models.TextChoices):
    CRI1 = "CRI1", _("CRI1: local (no BSI)")
    CRI2 = "CRI2", _("CRI2: general (no BSI)")
    CRI3 = "CRI3", _("CRI3: CVC-related BSI")


class UtiType(models.TextChoices):
    UTI_A = "UTI_A", _("UTI-A: microbiologically confirmed, symptomatic")
    UTI_B = "UTI_B", _("UTI-B: not confirmed, symptomatic")


class SsiDepth(models.TextChoices):
    SUPERFICIAL = "SUPERFICIAL", _("Superficial")
    DEEP = "DEEP", _("Deep")
    ORGAN_SPACE = "ORGAN_SPACE", _("Organ-space")


class Specimen(models.TextChoices):
    BAL = "BAL", "BAL"
    PSB = "PSB", "PSB"
    ETA = "ETA", _("Endotracheal aspirate")
    BLOOD = "BLOOD", _("Blood")
    URINE = "URINE", _("Urine")
    CATHETER_TIP = "CATHETER_TIP", _("Catheter tip")
    PUS = "PUS", _("Pus")
    PERITONEAL = "PERITONEAL", _("Peritoneal fluid")
    TISSUE = "TISSUE", _("Tissue")
    OTHER = "OTHER", _("Other")


class InfectionOutcome(models.TextChoices):
    CURED = "CURED", _("Cured")
    ONGOING_AT_D90 = "ONGOING_AT_D90", _("Ongoing at D90")
    DEATH_RELATED = "DEATH_RELATED", _("Death (infection-related)")
    DEATH_UNRELATED = "DEATH_UNRELATED", _("Death (unrelated)")
    UNKNOWN = "UNKNOWN", _("Unknown")


class MarkerResult(models.TextChoices):
    YES = "Y", _("Yes")
    NO = "N", _("No")
    UNKNOWN = "U", _("Unknown")
    NOT_TESTED = "NT", _("Not tested")


class CarbapenemaseType(models.TextChoices):
    KPC = "KPC", "KPC"
    OXA48 = "OXA48", _("OXA-48-like")
    NDM = "NDM", "NDM"
    VIM = "VIM", "VIM"
    IMP = "IMP", "IMP"
    OTHER = "OTHER", _("Other")


@pghistory.track()
class SecondaryInfection(CrfRecord):
    FORM_CODE = "INFECTION"
    CDASH = {
        "episode_number": "CESPID",
        "onset_date": "CESTDAT",
        "onset_time": "CESTTIM",
        "location": "CELOC",
        "category": "CECAT=SECONDARY INFECTION; CEDECOD",
        "pneumonia_level": "CESCAT",
        "bsi_origin": "CESCAT",
        "cri_type": "CESCAT",
        "uti_type": "CESCAT",
        "ssi_depth": "CESCAT",
        "specimens": "MBSPEC",
        "specimen_date": "MBDAT",
        "septic_shock": "FAORRES",
        "outcome": "CEOUT",
    }
    SERVER_FIELDS = ("episode_number", "study_day")

    episode_number = models.PositiveSmallIntegerField(_("episode number"))
    onset_date = models.DateField(_("date of onset"), null=True, blank=True)
    onset_time = models.TimeField(_("time of onset (optional)"), null=True, blank=True)
    study_day = models.SmallIntegerField(_("study day"), null=True, blank=True, editable=False)
    location = models.CharField(
        _("location at onset"), max_length=16, choices=InfectionLocation.choices, blank=True
    )
    category = models.CharField(
        _("site category"), max_length=6, choices=InfectionCategory.choices, blank=True
    )
    category_other = models.CharField(_("other category (text)"), max_length=200, blank=True)
    pneumonia_level = models.CharField(
        _("pneumonia: microbiological level"),
        max_length=3,
        choices=PneumoniaLevel.choices,
        blank=True,
    )
    pneumonia_criteria_met = models.BooleanField(
        _("pneumonia: imaging and clinical criteria met"), null=True, blank=True
    )
    bsi_origin = models.CharField(
        _("bloodstream infection: origin"), max_length=16, choices=BsiOrigin.choices, blank=True
    )
    cri_type = models.CharField(
        _("catheter-related infection type"), max_length=4, choices=CriType.choices, blank=True
    )
    uti_type = models.CharField(_("UTI type"), max_length=5, choices=UtiType.choices, blank=True)
    ssi_depth = models.CharField(
        _("SSI depth"), max_length=12, choices=SsiDepth.choices, blank=True
    )
    specimens = ArrayField(
        models.CharField(max_length=16, choices=Specimen.choices),
        default=list,
        blank=True,
        verbose_name=_("diagnostic specimens"),
    )
    specimen_date = models.DateField(_("specimen date"), null=True, blank=True)
    microbiologically_documented = models.BooleanField(
        _("microbiologically documented"), null=True, blank=True
    )
    septic_shock = models.BooleanField(_("septic shock at onset"), null=True, blank=True)
    source_control = models.BooleanField(_("source control procedure"), null=True, blank=True)
    source_control_type = models.CharField(_("source control type"), max_length=200, blank=True)
    outcome = models.CharField(
        _("episode outcome"), max_length=16, choices=InfectionOutcome.choices, blank=True
    )

    class Meta:
        verbose_name = _("secondary infection episode")
        verbose_name_plural = _("secondary infection episodes")
        ordering = ["participant_id", "episode_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "episode_number"], name="crf_infection_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {_('infection')} {self.episode_number}"


class MicroorganismQuerySet(models.QuerySet):
    def visible_to(self, user: Visitor) -> MicroorganismQuerySet:
        return self.filter(
            site_filter(user, Capability.VIEW_CLINICAL_DATA, field="infection__participant__site")
        )


@pghistory.track()
class InfectionMicroorganism(models.Model):
    """Microorganism 1–3 of an episode with its resistance markers (MB/MS)."""

    CDASH = {
        "organism": "MBORRES (MBTESTCD=ORGANISM)",
        "mrsa": "MSORRES (MRSA)",
        "vre": "MSORRES (VRE)",
        "c3g_resistant": "MSORRES (C3G-R)",
        "esbl": "MSORRES (ESBL)",
        "carbapenem_resistant": "MSORRES (CARBA-R)",
        "carbapenemase": "MSORRES (CARBAPENEMASE)",
    }

    infection = models.ForeignKey(
        SecondaryInfection,
        on_delete=models.PROTECT,
        related_name="microorganisms",
        verbose_name=_("episode"),
    )
    position = models.PositiveSmallIntegerField(_("microorganism number"))
    organism = models.CharField(_("microorganism (HAI-Net code or text)"), max_length=100)
    mrsa = models.CharField(
        _("MRSA (S. aureus oxacillin-R)"),
        max_length=2,
        choices=MarkerResult.choices,
        default=MarkerResult.NOT_TESTED,
    )
    vre = models.CharField(
        _("VRE (Enterococcus glycopeptide-R)"),
        max_length=2,
        choices=MarkerResult.choices,
        default=MarkerResult.NOT_TESTED,
    )
    c3g_resistant = models.CharField(
        _("3rd-generation cephalosporin-R"),
        max_length=2,
        choices=MarkerResult.choices,
        default=MarkerResult.NOT_TESTED,
    )
    esbl = models.CharField(
        _("ESBL"), max_length=2, choices=MarkerResult.choices, default=MarkerResult.NOT_TESTED
    )
    carbapenem_resistant = models.CharField(
        _("carbapenem-R"),
        max_length=2,
        choices=MarkerResult.choices,
        default=MarkerResult.NOT_TESTED,
    )
    carbapenemase = models.CharField(
        _("carbapenemase"),
        max_length=2,
        choices=MarkerResult.choices,
        default=MarkerResult.NOT_TESTED,
    )
    carbapenemase_type = models.CharField(
        _("carbapenemase type"), max_length=6, choices=CarbapenemaseType.choices, blank=True
    )
    # Removing an organism voids it (never a DELETE).
    entered_in_error = models.BooleanField(_("entered in error"), default=False)

    objects = MicroorganismQuerySet.as_manager()

    class Meta:
        verbose_name = _("microorganism")
        verbose_name_plural = _("microorganisms")
        ordering = ["infection_id", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(position__gte=1, position__lte=3),
                name="crf_microorganism_position_1_3",
            ),
        ]

    def __str__(self) -> str:
        return self.organism

    def audit_site_code(self) -> str:
        return self.infection.participant.site.code
