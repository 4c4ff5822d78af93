from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone


@pytest.fixture
def p11(site11: Any) -> Any:
    from tests.crf.helpers import randomized

    return randomized(site11)


@pytest.fixture
def p16(site16: Any) -> Any:
    from tests.crf.helpers import randomized

    return randomized(site16)


@pytest.fixture
def baseline11(p11: Any, role_users: dict) -> Any:
    from crf.services import save_baseline
    from tests.crf.helpers import baseline_data

    return save_baseline(p11, by=role_users["investigator"], data=baseline_data()).obj


@pytest.fixture
def baseline16(p16: Any, role_users: dict) -> Any:
    from crf.services import save_baseline
    from tests.crf.helpers import baseline_data

    return save_baseline(p16, by=role_users["investigator_nantes"], data=baseline_data()).obj


def daily_row(participant: Any, by: Any, *, days_ago: int = 18, **overrides: Any) -> Any:
    from crf.services import save_daily
    from tests.crf.helpers import daily_data

    day = timezone.localdate() - timedelta(days=days_ago)
    return save_daily(participant, day_date=day, by=by, data=daily_data(**overrides)).obj


HOT = Decimal("41.5")  # above the soft limit of 41 °C (crf/rules/daily.py)
