"""Soft edit-check flags: implausible values saved as entered and flagged for a query."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability


class EditCheckFlagQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> EditCheckFlagQuerySet:
        return self.filter(
            site_filter(user, Capability.VIEW_CLINICAL_DATA, field="participant__site")
        )

    def open(self) -> EditCheckFlagQuerySet:
        return self.filter(closed_at__isnull=True)

    def for_object(self, obj: models.Model) -> EditCheckFlagQuerySet:
        return self.filter(model_label=obj._meta.label_lower, object_id=obj.pk)


class EditCheckFlag(models.Model):
    """One soft-limit hit on one saved form field.

    Written by crf.services on save; closed automatically when a later save no longer
    trips the check. The query workflow (monitoring) turns open flags into queries.
    Append-only in spirit: closing sets `closed_at`, rows are never deleted.
    """

    participant = models.ForeignKey(
        "participants.Participant",
        on_delete=models.PROTECT,
        related_name="edit_check_flags",
        verbose_name=_("participant"),
    )
    model_label = models.CharField(_("form"), max_length=64)  # e.g. "crf.dailyfollowup"
    object_id = models.PositiveBigIntegerField(_("form row"))
    field = models.CharField(_("field"), max_length=64)
    msgid = models.CharField(_("check"), max_length=300)  # English msgid, translate on display
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    message = models.CharField(_("message"), max_length=500)  # rendered in English
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = EditCheckFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("edit-check flag")
        verbose_name_plural = _("edit-check flags")
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["model_label", "object_id"], name="crf_flag_object"),
            models.Index(fields=["participant", "closed_at"], name="crf_flag_participant_open"),
        ]

    def __str__(self) -> str:
        return f"{self.model_label}#{self.object_id} {self.field}: {self.message}"

    def audit_site_code(self) -> str:
        return self.participant.site.code


# The name the brief and the next issue use.
SoftFlag = EditCheckFlag
