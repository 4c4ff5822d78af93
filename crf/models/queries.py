"""Data queries (GCP "query"): a question on one field of one saved form row, and its thread.

Monitors and data managers raise them; sites answer them; the system opens one for each
soft edit check a save trips and closes it when a later save no longer trips it
(docs/decisions/0013-data-queries.md). The model lives in crf because the one write path
(crf/services/core.py) opens and closes system queries in the save's own transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.access import site_filter
from accounts.roles import Capability
from audit import labels
from audit.versioning import VersionedModel

if TYPE_CHECKING:
    from accounts.types import Visitor

# The longest message a thread accepts (a longer one is refused with a message).
MAX_MESSAGE_LENGTH = 5000


class QueryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    CANCELLED = "cancelled", _("Cancelled")


# A query waiting for the site's answer, and one still counting as "open" (not resolved).
AWAITING_ANSWER = (QueryStatus.OPEN, QueryStatus.REOPENED)
UNRESOLVED = (QueryStatus.OPEN, QueryStatus.REOPENED, QueryStatus.ANSWERED)


class QueryOrigin(models.TextChoices):
    MONITOR = "monitor", _("Monitor")
    DATA_MANAGER = "data_manager", _("Data manager")
    SYSTEM = "system", _("Edit check")


class DataQueryQuerySet(models.QuerySet["DataQuery"]):
    def visible_to(self, user: Visitor) -> DataQueryQuerySet:
        """Queries on the clinical data the user may read: another site's query is absent,
        and so is a day-10 biology query while its results are hidden from the user (its
        value and its check's text would show the blinded result: randomization.md §5)."""
        from crf.blinding import d10_results_visible

        qs = self.filter(
            site_filter(user, Capability.VIEW_CLINICAL_DATA, field="participant__site")
        )
        if not d10_results_visible(user):
            qs = qs.exclude(model_label="crf.d10biology")
        return qs

    def unresolved(self) -> DataQueryQuerySet:
        return self.filter(status__in=UNRESOLVED)

    def for_object(self, obj: models.Model) -> DataQueryQuerySet:
        return self.filter(model_label=obj._meta.label_lower, object_id=obj.pk)

    def system(self) -> DataQueryQuerySet:
        return self.filter(origin=QueryOrigin.SYSTEM)


@pghistory.track()
class DataQuery(VersionedModel):
    """One question on one field of one form row (model label + pk, and the day of a
    daily-grid row). Status: open → answered → closed, reopened, or cancelled."""

    participant = models.ForeignKey(
        "participants.Participant",
        on_delete=models.PROTECT,
        related_name="data_queries",
        verbose_name=_("participant"),
    )
    model_label = models.CharField(_("form"), max_length=64)  # e.g. "crf.dailyfollowup"
    object_id = models.PositiveBigIntegerField(_("form row"))
    day = models.DateField(_("day"), null=True, blank=True)  # daily follow-up rows
    field = models.CharField(_("field"), max_length=64)
    value_when_raised = models.TextField(_("value when raised"), blank=True)
    origin = models.CharField(_("origin"), max_length=20, choices=QueryOrigin.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=QueryStatus.choices, default=QueryStatus.OPEN
    )
    # Human queries: the question as typed. System queries: the check's English msgid and
    # its parameters, translated on display (msgid kept apart so the check is matchable).
    text = models.TextField(_("question"), blank=True)
    msgid = models.CharField(_("check"), max_length=300, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now, editable=False)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("raised by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)

    objects = DataQueryQuerySet.as_manager()

    class Meta:
        verbose_name = _("query")
        verbose_name_plural = _("queries")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["model_label", "object_id"], name="crf_query_object"),
            models.Index(fields=["participant", "status"], name="crf_query_participant"),
            models.Index(fields=["status", "origin"], name="crf_query_status"),
        ]

    def __str__(self) -> str:
        return f"{self.form_name} · {self.field_label}"

    def audit_site_code(self) -> str:
        return self.participant.site.code

    @property
    def question(self) -> str:
        """The question in the active language (a system check is translated)."""
        if self.origin != QueryOrigin.SYSTEM:
            return self.text
        msg = gettext(self.msgid) if self.msgid else self.text
        try:
            return msg % self.params if self.params else msg
        except (KeyError, TypeError, ValueError):
            return self.text

    @property
    def form_name(self) -> str:
        return labels.form_name(self.model_label)

    @property
    def field_label(self) -> str:
        return labels.field_label(labels.model_of(self.model_label), self.field)

    @property
    def is_awaiting_answer(self) -> bool:
        return self.status in AWAITING_ANSWER

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED


class MessageKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    CANCELLED = "cancelled", _("Cancelled")
    AUTO_CLOSED = "auto_closed", _("Closed automatically: the data no longer trip the check")


class QueryMessage(models.Model):
    """One entry of a query's thread. Append-only: a trigger refuses UPDATE and DELETE."""

    query = models.ForeignKey(
        DataQuery, on_delete=models.PROTECT, related_name="messages", verbose_name=_("query")
    )
    kind = models.CharField(_("action"), max_length=20, choices=MessageKind.choices)
    text = models.TextField(_("message"), blank=True)
    # An answer that corrected the field: the new value, as text.
    corrected_value = models.TextField(_("corrected value"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("query message")
        verbose_name_plural = _("query messages")
        ordering = ["at", "id"]
        triggers = [
            pgtrigger.Protect(
                name="query_message_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"

    def audit_site_code(self) -> str:
        return self.query.participant.site.code
