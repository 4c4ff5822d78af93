"""Source data verification and the investigator's casebook signature.

Both are append-only (audit.triggers): a verification or a signature is a fact about a
moment, never edited. Whether it still holds is computed, not stored: a verification is
current while the row's `version` equals the stored one; a signature is current while the
digest of the casebook's row versions equals the stored one
(docs/decisions/0014-sdv-and-signature.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from audit.triggers import append_only_triggers

if TYPE_CHECKING:
    from accounts.types import Visitor


class VerificationQuerySet(models.QuerySet["Verification"]):
    def visible_to(self, user: Visitor) -> VerificationQuerySet:
        return self.filter(site_filter(user, Capability.VIEW_CLINICAL_DATA, "participant__site"))


class Verification(models.Model):
    """A monitor compared one form row with the source documents at one version."""

    model_label = models.CharField(_("form"), max_length=100)
    object_id = models.PositiveBigIntegerField(_("row"))
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(_("version verified"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), default=timezone.now)

    objects = VerificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("source data verification")
        verbose_name_plural = _("source data verifications")
        indexes = [
            models.Index(fields=["model_label", "object_id", "version"], name="sdv_row_version"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.model_label} {self.object_id} v{self.version}"

    def audit_site_code(self) -> str:
        return self.participant.site.code


class CasebookSignatureQuerySet(models.QuerySet["CasebookSignature"]):
    def visible_to(self, user: Visitor) -> CasebookSignatureQuerySet:
        return self.filter(site_filter(user, Capability.VIEW_CLINICAL_DATA, "participant__site"))


class CasebookSignature(models.Model):
    """The investigator's electronic signature of a participant's casebook (21 CFR 11.50:
    printed name, date-time and meaning; 11.70: bound to the data it signs by `digest`)."""

    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="+"
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    printed_name = models.CharField(_("printed name"), max_length=300)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    meaning = models.TextField(_("meaning of the signature"))
    # SHA-256 of the sorted (form, row, version) of every casebook row at signing.
    digest = models.CharField(max_length=64)

    objects = CasebookSignatureQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]
        verbose_name = _("casebook signature")
        verbose_name_plural = _("casebook signatures")
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.participant_id} · {self.printed_name} · {self.signed_at:%Y-%m-%d %H:%M}"

    def audit_site_code(self) -> str:
        return self.participant.site.code


class QueryDigest(models.Model):
    """The daily query e-mail sent to one user on one day (ADR 0024). Written in the
    sending transaction: a second run the same day finds it and sends nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    to_answer = models.PositiveIntegerField(_("queries to answer"), default=0)
    to_review = models.PositiveIntegerField(_("answered queries to review"), default=0)
    language = models.CharField(_("language"), max_length=8)

    class Meta:
        verbose_name = _("query digest")
        verbose_name_plural = _("query digests")
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="query_digest_once_a_day"),
        ]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.user_id} · {self.day}"
