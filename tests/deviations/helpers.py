"""Protocol deviations entered through the site's save service."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone


def deviation_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "deviation_date": timezone.localdate() - timedelta(days=2),
        "category": "IMP_ADMINISTRATION",
        "description": "Injection given on day 10.",
        "severity": "MINOR",
        "detected_by": "SITE",
        "corrective_action": "",
    }
    data.update(overrides)
    return data


def make_deviation(site: Any, by: Any, participant: Any = None, **overrides: Any) -> Any:
    from crf.services import save_protocol_deviation
    from tests.randomization.factories import make_randomized_participant

    participant = participant or make_randomized_participant(site)
    return save_protocol_deviation(participant, by=by, data=deviation_data(**overrides)).obj
