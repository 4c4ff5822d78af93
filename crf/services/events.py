"""Death, SAE notification and acknowledgement."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.context import change_reason
from audit.services import record
from audit.versioning import save_versioned
from crf.facts import participant_facts
from crf.models import AdverseEvent, CrfStatus, Death
from crf.rules import followup
from crf.rules.common import paris_date
from crf.services.core import CrfRefused, lock_participant
from participants.models import Participant
from participants.services import change_participant_status


@transaction.atomic
def record_death(
    participant: Participant,
    *,
    by: Any,
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
    death = death or Death(participant=participant, created_by=by, death_date=death_date)
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


def after_sae_saved(ae: AdverseEvent, *, by: Any) -> None:
    """Start the 24-hour clock: vigilance gets an e-mail with the SAE form after commit."""
    from crf.tasks import notify_sae_task

    record("crf.sae.reported", target=ae, by=by, data={"ae_number": ae.ae_number})
    transaction.on_commit(lambda: notify_sae_task.delay(ae.pk))


def after_sae_follow_up(ae: AdverseEvent, *, by: Any, changed: list[str], reason: str) -> None:
    """A saved SAE changed (outcome, end, seriousness): vigilance gets the updated form."""
    from crf.tasks import notify_sae_follow_up_task

    record(
        "crf.sae.follow_up",
        target=ae,
        by=by,
        data={"ae_number": ae.ae_number, "changed": changed},
        reason=reason,
    )
    transaction.on_commit(lambda: notify_sae_follow_up_task.delay(ae.pk))


@transaction.atomic
def notify_sae(ae: AdverseEvent) -> AdverseEvent:
    """E-mail the SAE form (PDF) to the sponsor's vigilance; idempotent per SAE."""
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string

    from crf.pdf import sae_pdf

    ae = AdverseEvent.objects.select_for_update().select_related("participant__site").get(pk=ae.pk)
    if ae.sae_notified_at is not None:
        return ae
    context = {"ae": ae, "participant": ae.participant, "deadline": ae.sae_deadline()}
    message = EmailMessage(
        subject=render_to_string("emails/sae_subject.txt", context).strip(),
        body=render_to_string("emails/sae_body.txt", context),
        to=[settings.PLATINIUM_VIGILANCE_EMAIL],
    )
    message.attach(f"SAE-{ae.participant.code}-{ae.ae_number}.pdf", sae_pdf(ae), "application/pdf")
    message.send()
    ae.sae_notified_at = timezone.now()
    # A system write (no user): versioned and in the field history like a form save. The
    # casebook lock is not checked: the regulatory report to vigilance must never wait.
    with change_reason("SAE report e-mailed to vigilance"):
        save_versioned(ae, expected_version=ae.version, by=None)
    record("crf.sae.notified", target=ae, by=None, data={"to": settings.PLATINIUM_VIGILANCE_EMAIL})
    return ae


@transaction.atomic
def notify_sae_follow_up(ae: AdverseEvent) -> AdverseEvent:
    """E-mail the updated SAE form to vigilance as a follow-up report (one per change)."""
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string

    from crf.pdf import sae_pdf

    ae = AdverseEvent.objects.select_for_update().select_related("participant__site").get(pk=ae.pk)
    if ae.sae_notified_at is None:
        # The initial report has not left yet: it will carry the current data.
        return notify_sae(ae)
    context = {"ae": ae, "participant": ae.participant, "follow_up": True}
    message = EmailMessage(
        subject=render_to_string("emails/sae_follow_up_subject.txt", context).strip(),
        body=render_to_string("emails/sae_follow_up_body.txt", context),
        to=[settings.PLATINIUM_VIGILANCE_EMAIL],
    )
    message.attach(
        f"SAE-{ae.participant.code}-{ae.ae_number}-follow-up.pdf",
        sae_pdf(ae, follow_up=True),
        "application/pdf",
    )
    message.send()
    record(
        "crf.sae.follow_up_notified",
        target=ae,
        by=None,
        data={"to": settings.PLATINIUM_VIGILANCE_EMAIL},
    )
    return ae


@transaction.atomic
def acknowledge_sae(ae: AdverseEvent, *, by: Any) -> AdverseEvent:
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
