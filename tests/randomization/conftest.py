"""Fixtures of the randomization tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from randomization.services import allocation


@pytest.fixture(autouse=True)
def english() -> Any:
    """Messages are matched in English, the msgid language (French is the default)."""
    with translation.override("en"):
        yield


@pytest.fixture
def eligible(monkeypatch: pytest.MonkeyPatch) -> None:
    """Eligibility is the eligibility app's business (tested there and in
    test_services_preconditions.py); here every participant passes it."""
    monkeypatch.setattr(allocation, "_eligibility_preconditions", lambda participant: [])


@pytest.fixture
def lists(db: Any, site11: Any, site16: Any) -> Any:
    from tests.randomization.factories import load_slots

    return load_slots([site11, site16])


@pytest.fixture
def stock(lists: Any, site11: Any, site16: Any) -> None:
    from tests.randomization.factories import make_kits

    make_kits(site11, 4)
    make_kits(site16, 4)
