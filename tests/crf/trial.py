"""A synthetic trial (demo.trial, the `seed_demo` builder), built once per test module and
rolled back after.

It is written through the real services (about 2 s per participant), so the tests use
TRIAL_SIZE participants; the full 326-participant build and its time are `make bench`.

Import `trial_326` into a test module: a module-scoped fixture that builds the trial in
an outer transaction (each test's own transaction nests inside it as a savepoint) and
rolls it back at the end of the module, so nothing leaks into other tests or into a
`--reuse-db` database.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

TRIAL_SIZE = 30


@pytest.fixture(scope="module")
def trial_326(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    from accounts.demo import seed_accounts
    from demo.trial import build_trial
    from tests.factories import restore_migration_data

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # A transactional test run before this module flushed the sites away.
            restore_migration_data()
            started = time.monotonic()
            out = io.StringIO()
            build_trial(TRIAL_SIZE, users=seed_accounts(), rng=random.Random(20250709), stdout=out)
            yield {"seconds": time.monotonic() - started, "output": out.getvalue()}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
