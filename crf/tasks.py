"""Background work of the CRF: thin tasks, ids in, one service call."""

from __future__ import annotations

from celery import shared_task


@shared_task
def notify_sae_task(adverse_event_id: int) -> None:
    from crf.models import AdverseEvent
    from crf.services import notify_sae

    notify_sae(AdverseEvent.objects.get(pk=adverse_event_id))


@shared_task
def notify_sae_follow_up_task(adverse_event_id: int) -> None:
    from crf.models import AdverseEvent
    from crf.services import notify_sae_follow_up

    notify_sae_follow_up(AdverseEvent.objects.get(pk=adverse_event_id))
