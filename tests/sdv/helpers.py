"""Builders of the SDV and signature tests: a participant with critical rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from crf.services import save_adverse_event, save_injection
from tests.crf.helpers import ae_data, d0_of, injection_data, paris, randomized


def with_critical_rows(site: Any, by: Any) -> Any:
    """A randomized participant with injection 1 (5 critical fields) and one serious
    adverse event (6 critical fields): 11 critical data points."""
    participant = randomized(site)
    when = paris(d0_of(participant) + timedelta(days=1), 9)
    save_injection(participant, number=1, by=by, data=injection_data(participant, when))
    save_adverse_event(
        participant,
        by=by,
        data=ae_data(serious=True, sae_hospitalisation=True, awareness_date=timezone.localdate()),
    )
    return participant


def sdv_url(participant: Any) -> str:
    return reverse("monitoring:sdv_participant", args=[participant.code])


def row_states(client: Any, participant: Any) -> dict[str, str]:
    """data-row → data-state of the rows the SDV page shows."""
    import re

    html = client.get(sdv_url(participant)).content.decode()
    return dict(re.findall(r'data-row="([^"]+)" data-state="([^"]+)"', html))
