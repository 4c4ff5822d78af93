"""Death, SAE notification and acknowledgement."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from audit.context import change_reason
from audit.services import record
from audit.versioning import save_versioned
from crf.facts import participant_facts
from crf.models import AdverseEvent, CrfStatus, Death, SaeNotification
from crf.rules import followup
from crf.services.core import CrfRefused, lock_participant
from participants.models import Participant
from participants.services import change_participant_status
from platinium.lib.study_time import paris_date

if TYPE_CHECKING:
    from accounts.types import User


@transaction.atomic
def record_death(
    participant: Participant,
    *,
    by: User,
    death_date: date | None = None,
    death_at: datetime | None = None,
    cause: str = "",
    cause_other: str = "",
    after_lst_withdrawal: bool | None = None,
    linked_infection: Any = None,
    source: str = "",
    reason: str = "",
) -> Death:
    """The participant's one death record; a second report must agree on the date."""
    lock_participant(participant)
    if death_date is None and death_at is not None:
        death_date = paris_date(death_at)
    values = {"death_date": death_date, "death_at": death_at}
    facts = participant_facts(participant)
    errors = [f for f in followup.death_check(values, facts) if f.severity == "hard"]
    if errors:
        raise CrfRefused(errors)
    death = Death.objects.current().filter(participant=participant).first()
    created = death is None
    if death is not None and death.death_date != death_date:
        raise CrfRefused(
            [
                followup.hard(
                    "death_date",
                    "A death is already recorded on %(death)s: correct that record instead.",
                    death=death.death_date.isoformat(),
                )
            ]
        )
    # death_check refused a missing date above (a hard error).
    death = death or Death(participant=participant, created_by=by, death_date=death_date)  # type: ignore[misc]
    death.death_at = death_at or death.death_at
    death.cause = cause or death.cause
    death.cause_other = cause_other or death.cause_other
    if after_lst_withdrawal is not None:
        death.after_lst_withdrawal = after_lst_withdrawal
    death.linked_infection = linked_infection or death.linked_infection
    death.source = death.source or source
    death.status = CrfStatus.COMPLETE if death.cause else CrfStatus.IN_PROGRESS
    with change_reason(reason or "death reported"):
        save_versioned(death, expected_version=death.version, by=by)
    change_participant_status(
        participant,
        status=Participant.Status.DIED,
        by=by,
        reason=reason or f"death reported ({source or 'death form'})",
    )
    record(
        "crf.death.create" if created else "crf.death.update",
        target=death,
        by=by,
        data={"source": source},
        reason=reason,
    )
    return death


def record_death_from(participant: Participant, **kwargs: Any) -> Death:
    return record_death(participant, **kwargs)


def after_sae_saved(ae: AdverseEvent, *, by: User) -> None:
    """Start the 24-hour clock: the initial report's outbox row is written in the save's
    transaction, and vigilance gets the e-mail with the SAE form after commit."""
    record("crf.sae.reported", target=ae, by=by, data={"ae_number": ae.ae_number})
    notification, _created = SaeNotification.objects.get_or_create(
        adverse_event=ae, kind=SaeNotification.Kind.INITIAL
    )
    _send_after_commit(notification)


def after_sae_follow_up(ae: AdverseEvent, *, by: User, changed: list[str], reason: str) -> None:
    """A saved SAE changed (outcome, end, seriousness): vigilance gets the updated form."""
    record(
        "crf.sae.follow_up",
        target=ae,
        by=by,
        data={"ae_number": ae.ae_number, "changed": changed},
        reason=reason,
    )
    notification = SaeNotification.objects.create(
        adverse_event=ae, kind=SaeNotification.Kind.FOLLOW_UP, changed=changed
    )
    _send_after_commit(notification)


def _send_after_commit(notification: SaeNotification) -> None:
    from crf.tasks import send_sae_notification_task

    transaction.on_commit(lambda: send_sae_notification_task.delay(notification.pk))


@transaction.atomic
def send_sae_notification(notification: SaeNotification) -> SaeNotification:
    """E-mail one SAE report (PDF attached) to vigilance; at most once per outbox row.

    The row is locked and stamped sent in the transaction of the send: a retried,
    re-delivered or re-sent task finds it sent and does nothing.
    """
    from django.conf import settings

    notification = SaeNotification.objects.select_for_update().get(pk=notification.pk)
    if notification.sent_at is not None:
        return notification
    ae = (
        AdverseEvent.objects.select_for_update()
        .select_related("participant__site")
        .get(pk=notification.adverse_event_id)
    )
    follow_up = notification.kind == SaeNotification.Kind.FOLLOW_UP
    if follow_up and ae.sae_notified_at is None:
        # The initial report has not left yet: it carries the current data.
        initial = SaeNotification.objects.filter(
            adverse_event=ae, kind=SaeNotification.Kind.INITIAL
        ).first()
        if initial is not None:
            send_sae_notification(initial)
        notification.sent_at = timezone.now()
        notification.save(update_fields=["sent_at"])
        record("crf.sae.follow_up_carried_by_initial", target=ae, by=None)
        return notification
    _sae_email(ae, follow_up=follow_up).send()
    notification.sent_at = timezone.now()
    notification.save(update_fields=["sent_at"])
    to = {"to": settings.PLATINIUM_VIGILANCE_EMAIL}
    if follow_up:
        record("crf.sae.follow_up_notified", target=ae, by=None, data=to)
        return notification
    ae.sae_notified_at = notification.sent_at
    # A system write (no user): versioned and in the field history like a form save. The
    # casebook lock is not checked: the regulatory report to vigilance must never wait.
    with change_reason("SAE report e-mailed to vigilance"):
        save_versioned(ae, expected_version=ae.version, by=None)
    record("crf.sae.notified", target=ae, by=None, data=to)
    return notification


def _sae_email(ae: AdverseEvent, *, follow_up: bool) -> Any:
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string

    from crf.pdf import sae_pdf

    context: dict[str, Any] = {"ae": ae, "participant": ae.participant}
    if follow_up:
        context["follow_up"] = True
        templates, suffix = (
            ("emails/sae_follow_up_subject.txt", "emails/sae_follow_up_body.txt"),
            "-follow-up",
        )
    else:
        context["deadline"] = ae.sae_deadline()
        templates, suffix = ("emails/sae_subject.txt", "emails/sae_body.txt"), ""
    message = EmailMessage(
        subject=render_to_string(templates[0], context).strip(),
        body=render_to_string(templates[1], context),
        to=[settings.PLATINIUM_VIGILANCE_EMAIL],
    )
    message.attach(
        f"SAE-{ae.participant.code}-{ae.ae_number}{suffix}.pdf",
        sae_pdf(ae, follow_up=follow_up),
        "application/pdf",
    )
    return message


@transaction.atomic
def acknowledge_sae(ae: AdverseEvent, *, by: User) -> AdverseEvent:
    """Vigilance / data management confirms receipt: the SAE leaves the dashboard list."""
    ae = AdverseEvent.objects.select_for_update().get(pk=ae.pk)
    if not ae.serious:
        raise CrfRefused(
            [followup.hard("serious", "Only a serious adverse event is acknowledged.")]
        )
    if ae.acknowledged_at is None:
        # Vigilance's receipt, not casebook data: allowed on a locked casebook too.
        ae.acknowledged_at, ae.acknowledged_by = timezone.now(), by
        with change_reason("SAE acknowledged by vigilance"):
            save_versioned(ae, expected_version=ae.version, by=by)
        record("crf.sae.acknowledged", target=ae, by=by)
    return ae
