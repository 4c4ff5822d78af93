"""Fixtures of the export tests: a small trial, frozen at one instant."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.utils import timezone, translation

from tests.exports import trial


@pytest.fixture
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(timezone.now().replace(hour=10, minute=0), tick=False):
        yield


@pytest.fixture
def small_trial(role_users, site11, site16, monkeypatch, frozen) -> dict[str, Any]:
    return trial.build(role_users, site11, site16, monkeypatch=monkeypatch)
