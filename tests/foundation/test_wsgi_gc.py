"""platinium/wsgi.py freezes the objects of start-up out of the garbage collector's full
passes (ADR 0043)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.gunicorn import ROOT

FROZEN = "import gc, {module}; print(gc.get_freeze_count())"


def _frozen_after(module: str) -> int:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DJANGO_DEBUG": "false"}
    done = subprocess.run(
        [sys.executable, "-c", FROZEN.format(module=module)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def test_the_wsgi_application_freezes_its_start_up_objects() -> None:
    assert _frozen_after("platinium.wsgi") > 50_000


def test_control_django_set_up_alone_freezes_nothing() -> None:
    setup = (
        "django; django.setup(); from django.urls import get_resolver; get_resolver().url_patterns"
    )
    assert _frozen_after(setup) == 0
