"""The data manager's review of a protocol deviation (crf-spec.md §2.15, ADR 0025): the
sponsor's major / minor classification and a comment. Append-only: each review is a fact
about one version of the deviation; a later change of the deviation makes it "changed
since review" because the versions differ, like source data verification (ADR 0014)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from audit.triggers import append_only_triggers
from crf.models.followup import DeviationSeverity, ProtocolDeviation

# The longest review comment accepted (a longer one is refused with a message).
MAX_REVIEW_COMMENT = 5000


class DeviationReviewQuerySet(models.QuerySet["DeviationReview"]):
    def visible_to(self, user: Any) -> DeviationReviewQuerySet:
        return self.filter(
            site_filter(user, Capability.VIEW_DEVIATION_LOG, field="participant__site")
        )


class DeviationReview(models.Model):
    deviation = models.ForeignKey(
        ProtocolDeviation,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("protocol deviation"),
    )
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="+"
    )
    deviation_version = models.PositiveIntegerField(_("version reviewed"))
    classification = models.CharField(
        _("classification"), max_length=5, choices=DeviationSeverity.choices
    )
    comment = models.TextField(_("review comment"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), default=timezone.now)

    objects = DeviationReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("deviation review")
        verbose_name_plural = _("deviation reviews")
        ordering = ["-reviewed_at", "-id"]
        indexes = [models.Index(fields=["deviation", "-reviewed_at"], name="crf_deviation_review")]
        triggers = append_only_triggers()

    def __str__(self) -> str:
        return f"{self.deviation_id} v{self.deviation_version} {self.classification}"

    def audit_site_code(self) -> str:
        return self.participant.site.code
