"""The screening record: one per screened patient (crf-spec.md §2.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from audit.versioning import VersionedModel
from eligibility.models.choices import Contraception, Sex

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from accounts.types import Visitor


def _yes_no(label: StrOrPromise) -> models.BooleanField:
    # None = not answered yet: the engine reports the criterion as missing.
    return models.BooleanField(label, null=True, blank=True)


class ScreeningQuerySet(models.QuerySet["Screening"]):
    def visible_to(self, user: Visitor, site: Any = None) -> ScreeningQuerySet:
        """Reads: the sites where the user may see clinical data; another site's is absent.
        With `site`, that site's rows only (none if the user may not see them there)."""
        return self.filter(site_filter(user, Capability.VIEW_CLINICAL_DATA, site=site))

    def to_finish(self) -> ScreeningQuerySet:
        """Screenings still open: a draft, an incomplete checklist, or eligible but not
        yet enrolled (the home page's work list, issue #11)."""
        return self.filter(
            status__in=(
                Screening.Status.DRAFT,
                Screening.Status.INCOMPLETE,
                Screening.Status.ELIGIBLE,
            )
        )


class SiteSequence(models.Model):
    """Per-site counters (screening numbers, participant codes), locked with FOR UPDATE.

    One row per (site, kind); incrementing under a row lock makes numbers gap-free and
    unique under concurrent requests at one site without serialising other sites.
    """

    SCREENING = "screening"
    PARTICIPANT = "participant"

    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "kind"], name="site_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.site_id} · {self.kind} · {self.last_value}"


@pghistory.track()
class Screening(VersionedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ELIGIBLE = "eligible", _("Eligible")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        INCOMPLETE = "incomplete", _("Incomplete")
        ENROLLED = "enrolled", _("Enrolled")

    site = models.ForeignKey(
        "sites.Site", on_delete=models.PROTECT, related_name="screenings", verbose_name=_("site")
    )
    seq = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("screening number"), max_length=9, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    failed_codes = ArrayField(
        models.CharField(max_length=3), default=list, blank=True, verbose_name=_("failed criteria")
    )
    missing_codes = ArrayField(
        models.CharField(max_length=3), default=list, blank=True, verbose_name=_("missing criteria")
    )
    # Derived scores kept for the log and exports; recomputed on every save.
    sofa_first_week_max = models.PositiveSmallIntegerField(_("max SOFA ICU day 1–7"), null=True)
    apache_ii_total = models.PositiveSmallIntegerField(_("APACHE II"), null=True)
    egfr = models.DecimalField(_("eGFR"), max_digits=6, decimal_places=1, null=True)
    # Soft-limit warnings of the last save: [{"field", "msgid", "params"}] (future queries).
    soft_limit_flags = models.JSONField(_("soft-limit warnings"), default=list, blank=True)

    age = models.PositiveSmallIntegerField(_("age (years)"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    hospital_admission_date = models.DateField(_("hospital admission date"), null=True, blank=True)
    icu_admission = models.DateTimeField(_("ICU admission date and time"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("screening date and time"), null=True, blank=True)

    expected_icu_stay_over_10_days = _yes_no(_("I2 · Expected ICU stay > 10 days"))
    consent_obtained = _yes_no(_("I5 · Consent given (patient or representative)"))
    social_security_affiliation = _yes_no(_("I6 · Affiliated to social security"))
    contraception_agreement = models.CharField(
        _("I7 · Agreement to contraception until D90"),
        max_length=16,
        choices=Contraception.choices,
        blank=True,
    )
    corticosteroids_given = _yes_no(_("Corticosteroid course(s) before screening"))

    uncontrolled_secondary_infection = _yes_no(_("E1 · Uncontrolled secondary infection"))
    other_trial_within_30_days = _yes_no(_("E2 · Other interventional trial within 30 days"))
    chemo_or_radiotherapy_within_6_weeks = _yes_no(_("E3 · Chemo- or radiotherapy < 6 weeks"))
    autoimmune_disease = _yes_no(_("E5 · Autoimmune disease"))
    organ_or_bone_marrow_transplant = _yes_no(_("E6 · Organ or bone-marrow transplant"))
    hematologic_malignancy = _yes_no(_("E7 · Haematological malignancy"))
    hepatitis_c = _yes_no(_("E8 · Hepatitis C"))
    hiv_stage_c_within_12_months = _yes_no(_("E9 · HIV stage C within 12 months"))
    under_legal_protection = _yes_no(_("E10 · Under legal protection"))
    tuberculosis = _yes_no(_("E11 · Tuberculosis"))
    chronic_hepatitis_b = _yes_no(_("E12 · Chronic hepatitis B"))
    non_steroid_immunosuppressive_drug = _yes_no(_("E13 · Non-steroid immunosuppressive drug"))
    traumatic_brain_or_spinal_injury = _yes_no(_("E15 · Traumatic brain or spinal injury"))
    pregnant_or_breastfeeding = _yes_no(_("E16 · Pregnancy or breast-feeding"))
    hypersensitivity_ifn_gamma_excipients_latex = _yes_no(
        _("E17 · Hypersensitivity to IFN-γ, excipients, latex")
    )
    suspected_acute_pancreatitis = _yes_no(_("E19 · Acute pancreatitis suspected"))
    acute_ecg_abnormality = _yes_no(_("E21 · Acute life-threatening ECG abnormality"))
    consenting_person_unable_to_understand = _yes_no(
        _("E22 · Person consenting unable to understand")
    )
    deprived_of_liberty = _yes_no(_("E23 · Deprived of liberty"))
    study_team_member_or_relative = _yes_no(_("E24 · Study team member or relative"))

    participant = models.OneToOneField(
        "participants.Participant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="screening",
        verbose_name=_("participant"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ScreeningQuerySet.as_manager()

    class Meta:
        ordering = ["site__code", "-seq"]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")
        constraints = [
            models.UniqueConstraint(fields=["site", "seq"], name="screening_unique_site_seq"),
            models.CheckConstraint(
                condition=~models.Q(status="enrolled") | models.Q(participant__isnull=False),
                name="screening_enrolled_has_participant",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def format_number(site_code: str, seq: int) -> str:
        return f"S-{site_code}-{seq:04d}"

    @property
    def is_enrolled(self) -> bool:
        return self.participant_id is not None
