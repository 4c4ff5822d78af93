"""Follow-up D30/D60/D90 (§2.13), protocol deviations (§2.15), end of study (§2.16)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pghistory
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from crf.models.base import CrfRecord, CrfStatus, DeathCause

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.types import Visitor


class FollowUpVisit(models.TextChoices):
    FU_D30 = "FU_D30", _("Day 30")
    FU_D60 = "FU_D60", _("Day 60")
    FU_D90 = "FU_D90", _("Day 90")


class InformationSource(models.TextChoices):
    IN_HOSPITAL = "IN_HOSPITAL", _("In hospital (chart)")
    PATIENT_PHONE = "PATIENT_PHONE", _("Patient, phone")
    RELATIVE_PHONE = "RELATIVE_PHONE", _("Relative, phone")
    PHYSICIAN = "PHYSICIAN", _("GP / other physician")
    VISIT = "VISIT", _("Visit")
    CIVIL_REGISTRY = "CIVIL_REGISTRY", _("Civil registry (INSEE)")
    NONE = "NONE", _("None")


class FollowUpVitalStatus(models.TextChoices):
    ALIVE = "ALIVE", _("Alive")
    DEAD = "DEAD", _("Dead")
    UNKNOWN = "UNKNOWN", _("Unknown")


class FollowUpResidence(models.TextChoices):
    HOME = "HOME", _("Home (independent)")
    HOME_WITH_HELP = "HOME_WITH_HELP", _("Home with help")
    REHABILITATION = "REHABILITATION", _("Rehabilitation")
    NURSING_HOME = "NURSING_HOME", _("Nursing home")
    HOSPITAL_ACUTE = "HOSPITAL_ACUTE", _("Hospital (acute)")
    HOSPITAL_ICU = "HOSPITAL_ICU", _("Hospital (ICU)")
    OTHER = "OTHER", _("Other")


class Respondent(models.TextChoices):
    PATIENT = "PATIENT", _("Patient")
    PROXY = "PROXY", _("Proxy")


EQ5D_ITEMS = (
    "eq5d_mobility",
    "eq5d_self_care",
    "eq5d_usual_activities",
    "eq5d_pain",
    "eq5d_anxiety",
)


def _eq5d(label: StrOrPromise) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(label, null=True, blank=True)


@pghistory.track()
class FollowUp(CrfRecord):
    FORM_CODE = "FU"  # FU_D30 / FU_D60 / FU_D90 = `visit`
    CDASH = {
        "contact_date": "VISDAT",
        "source": "SSSPID",
        "vital_status": "SSORRES (SSTESTCD=SURVSTAT)",
        "last_known_alive_date": "SSDTC",
        "death_date": "DTHDAT",
        "death_cause": "DDORRES",
        "readmission": "HOOCCUR (HOTERM=HOSPITAL READMISSION)",
        "residence": "SCORRES",
        "eq5d_mobility": "QSORRES (EQ5D0201)",
        "eq5d_self_care": "QSORRES (EQ5D0202)",
        "eq5d_usual_activities": "QSORRES (EQ5D0203)",
        "eq5d_pain": "QSORRES (EQ5D0204)",
        "eq5d_anxiety": "QSORRES (EQ5D0205)",
        "eq5d_vas": "QSORRES (EQ5D0206)",
    }
    SERVER_FIELDS = ("visit", "study_day")

    visit = models.CharField(_("visit"), max_length=6, choices=FollowUpVisit.choices)
    contact_date = models.DateField(_("contact date"), null=True, blank=True)
    study_day = models.SmallIntegerField(_("study day"), null=True, blank=True, editable=False)
    source = models.CharField(
        _("source of information"), max_length=16, choices=InformationSource.choices, blank=True
    )
    vital_status = models.CharField(
        _("vital status at Dx"), max_length=7, choices=FollowUpVitalStatus.choices, blank=True
    )
    last_known_alive_date = models.DateField(_("date last known alive"), null=True, blank=True)
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    death_cause = models.CharField(
        _("cause of death"), max_length=20, choices=DeathCause.choices, blank=True
    )
    death_cause_other = models.CharField(_("other cause (text)"), max_length=200, blank=True)
    readmission = models.BooleanField(
        _("hospital readmission since the last contact"), null=True, blank=True
    )
    residence = models.CharField(
        _("place of residence at Dx"), max_length=16, choices=FollowUpResidence.choices, blank=True
    )
    new_infection = models.BooleanField(
        _("new infection since the last contact"), null=True, blank=True
    )
    new_sae = models.BooleanField(_("new SAE since the last contact"), null=True, blank=True)
    rehabilitation_days = models.PositiveSmallIntegerField(
        _("rehabilitation / long-term care days since the last contact"), null=True, blank=True
    )
    eq5d_mobility = _eq5d(_("EQ-5D-5L mobility"))
    eq5d_self_care = _eq5d(_("EQ-5D-5L self-care"))
    eq5d_usual_activities = _eq5d(_("EQ-5D-5L usual activities"))
    eq5d_pain = _eq5d(_("EQ-5D-5L pain / discomfort"))
    eq5d_anxiety = _eq5d(_("EQ-5D-5L anxiety / depression"))
    eq5d_vas = models.PositiveSmallIntegerField(_("EQ-5D VAS (0–100)"), null=True, blank=True)
    eq5d_respondent = models.CharField(
        _("EQ-5D respondent"), max_length=7, choices=Respondent.choices, blank=True
    )

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["participant_id", "visit"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "visit"],
                condition=~models.Q(status=CrfStatus.ENTERED_IN_ERROR),
                name="crf_followup_one_per_visit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {self.get_visit_display()}"

    @property
    def form_code(self) -> str:
        return self.visit


class ReadmissionReason(models.TextChoices):
    INFECTION = "INFECTION", _("Infection")
    OTHER = "OTHER", _("Other")


class ReadmissionQuerySet(models.QuerySet):
    def visible_to(self, user: Visitor) -> ReadmissionQuerySet:
        return self.filter(
            site_filter(user, Capability.VIEW_CLINICAL_DATA, field="follow_up__participant__site")
        )


@pghistory.track()
class Readmission(models.Model):
    """One hospital readmission reported at a follow-up contact (HO)."""

    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.PROTECT, related_name="readmissions", verbose_name=_("follow-up")
    )
    admission_date = models.DateField(_("admission date"))
    discharge_date = models.DateField(_("discharge date"), null=True, blank=True)
    icu_stay = models.BooleanField(_("ICU stay"), default=False)
    icu_days = models.PositiveSmallIntegerField(_("ICU days"), null=True, blank=True)
    reason = models.CharField(_("main reason"), max_length=10, choices=ReadmissionReason.choices)
    entered_in_error = models.BooleanField(_("entered in error"), default=False)

    objects = ReadmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("hospital readmission")
        verbose_name_plural = _("hospital readmissions")
        ordering = ["follow_up_id", "admission_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discharge_date__isnull=True)
                | models.Q(discharge_date__gte=models.F("admission_date")),
                name="crf_readmission_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follow_up} · {self.admission_date}"

    def audit_site_code(self) -> str:
        return self.follow_up.participant.site.code


class DeviationCategory(models.TextChoices):
    ELIGIBILITY = "ELIGIBILITY", _("Eligibility")
    CONSENT = "CONSENT", _("Consent")
    RANDOMISATION = "RANDOMISATION", _("Randomisation")
    IMP_ADMINISTRATION = "IMP_ADMINISTRATION", _("IMP administration")
    BLINDING = "BLINDING", _("Blinding / unblinding")
    PROHIBITED_MEDICATION = "PROHIBITED_MEDICATION", _("Prohibited medication")
    D10_SAMPLE = "D10_SAMPLE", _("D10 sample missed or out of window")
    VISIT_WINDOW = "VISIT_WINDOW", _("Follow-up visit out of window")
    SAE_REPORTING_LATE = "SAE_REPORTING_LATE", _("SAE reporting late")
    OTHER = "OTHER", _("Other")


class DeviationSeverity(models.TextChoices):
    MAJOR = "MAJOR", _("Major")
    MINOR = "MINOR", _("Minor")


class DetectedBy(models.TextChoices):
    EDC_RULE = "EDC_RULE", _("EDC rule (automatic)")
    MONITOR = "MONITOR", _("Monitor")
    SITE = "SITE", _("Site")
    DATA_MANAGER = "DATA_MANAGER", _("Data manager")


@pghistory.track()
class ProtocolDeviation(CrfRecord):
    FORM_CODE = "PROTOCOL_DEVIATION"
    CDASH = {
        "deviation_date": "DVSTDAT",
        "category": "DVCAT",
        "description": "DVTERM",
        "severity": "DVSCAT",
    }
    SERVER_FIELDS = ("is_proposal", "serious_breach")

    deviation_date = models.DateField(_("deviation date"), null=True, blank=True)
    category = models.CharField(
        _("category"), max_length=24, choices=DeviationCategory.choices, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    severity = models.CharField(
        _("major / minor"), max_length=5, choices=DeviationSeverity.choices, blank=True
    )
    detected_by = models.CharField(
        _("detected by"), max_length=12, choices=DetectedBy.choices, blank=True
    )
    corrective_action = models.TextField(_("corrective action"), blank=True)
    # Sponsor only (EU CTR Art. 52); not on the site form.
    serious_breach = models.BooleanField(_("serious breach"), null=True, blank=True, editable=False)
    # An EDC rule proposes, a human confirms (crf-spec.md §2.15).
    is_proposal = models.BooleanField(
        _("automatic proposal, to confirm"), default=False, editable=False
    )

    class Meta:
        verbose_name = _("protocol deviation")
        verbose_name_plural = _("protocol deviations")
        ordering = ["participant_id", "deviation_date", "id"]

    def __str__(self) -> str:
        return f"{self.participant} · {_('deviation')} {self.pk}"


class EndOfStudyStatus(models.TextChoices):
    COMPLETED = "COMPLETED", _("Completed (D90 done)")
    DEATH = "DEATH", _("Death")
    WITHDRAWN_PATIENT = "WITHDRAWN_PATIENT", _("Consent withdrawn by patient")
    WITHDRAWN_PROXY = "WITHDRAWN_PROXY", _("Consent withdrawn by proxy")
    CONTINUATION_REFUSED = "CONTINUATION_REFUSED", _("Continuation consent refused")
    LOST_TO_FOLLOW_UP = "LOST_TO_FOLLOW_UP", _("Lost to follow-up")
    INVESTIGATOR_DECISION = "INVESTIGATOR_DECISION", _("Investigator decision")
    SPONSOR_DECISION = "SPONSOR_DECISION", _("Sponsor decision")
    OTHER = "OTHER", _("Other")


WITHDRAWAL_STATUSES = frozenset({"WITHDRAWN_PATIENT", "WITHDRAWN_PROXY", "CONTINUATION_REFUSED"})


@pghistory.track()
class EndOfStudy(CrfRecord):
    """End of study / withdrawal. Withdrawal never deletes data already collected."""

    FORM_CODE = "END_OF_STUDY"
    CDASH = {
        "end_status": "DSDECOD (DSCAT=DISPOSITION EVENT)",
        "end_date": "DSSTDAT",
        "last_known_alive_date": "SSDTC",
    }

    end_status = models.CharField(
        _("end-of-study status"), max_length=24, choices=EndOfStudyStatus.choices, blank=True
    )
    end_status_other = models.CharField(_("other (text)"), max_length=200, blank=True)
    end_date = models.DateField(_("date of end of study"), null=True, blank=True)
    last_known_alive_date = models.DateField(_("date last known alive"), null=True, blank=True)
    follow_up_allowed = models.BooleanField(
        _("continued follow-up allowed after stopping"), null=True, blank=True
    )
    objects_to_data_use = models.BooleanField(
        _("objection to further use of data already collected"), null=True, blank=True
    )
    contact_attempt_dates = ArrayField(
        models.DateField(), default=list, blank=True, verbose_name=_("contact attempt dates")
    )

    class Meta:
        verbose_name = _("end of study")
        verbose_name_plural = _("end of study")
        constraints = [
            models.UniqueConstraint(
                fields=["participant"],
                condition=~models.Q(status=CrfStatus.ENTERED_IN_ERROR),
                name="crf_end_of_study_one_per_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} · {_('end of study')}"
