"""A simulated clock for the synthetic trial: the services run "as if it were" a past moment.

Why: the services stamp their writes with `timezone.now()` (randomized_at, enrolled_at,
sae_recorded_at, audit `occurred_at`, `created_at`/`updated_at`…) and their rules refuse
dates after "now". A trial whose participants were randomized over past months must
therefore call the real services at the moment each action happened.

How: while `installed()` is active, `django.utils.timezone.now` is replaced by
`clock.now`, and so are the model field defaults that captured the real function
(`default=timezone.now` keeps a reference to it, which patching the module attribute would
miss). `clock.at(moment)` sets the moment for the calls inside it. Only the demo builder
installs the clock, for the duration of the build; the database's own `now()` (the
pghistory event time) is not simulated: field history shows when the seed really ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.apps import apps
from django.utils import timezone

_REAL_NOW = timezone.now


class SimulatedClock:
    def __init__(self) -> None:
        self.moment: datetime | None = None

    def now(self) -> datetime:
        return self.moment if self.moment is not None else _REAL_NOW()

    @contextmanager
    def at(self, moment: datetime) -> Iterator[None]:
        previous, self.moment = self.moment, moment
        try:
            yield
        finally:
            self.moment = previous

    @contextmanager
    def installed(self) -> Iterator[SimulatedClock]:
        swapped = [
            field
            for model in apps.get_models()
            for field in model._meta.concrete_fields
            if field.default is _REAL_NOW
        ]
        for field in swapped:
            field.default = self.now
            field.__dict__.pop("_get_default", None)  # Field caches its default callable
        try:
            with mock.patch("django.utils.timezone.now", self.now):
                yield self
        finally:
            for field in swapped:
                field.default = _REAL_NOW
                field.__dict__.pop("_get_default", None)


def real_now() -> datetime:
    return _REAL_NOW()
