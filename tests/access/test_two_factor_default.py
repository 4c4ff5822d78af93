"""Two-factor authentication is required in production unless explicitly switched off
(reliability issue: "2FA off by default in production" must be caught).

The settings module is evaluated in a fresh interpreter with a controlled environment, so
neither the test settings (which switch 2FA off for speed) nor a developer `.env` interfere:
a variable set to "" counts as unset for `env_bool` and blocks the `.env` value.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "platinium" / "settings.py"
THE_DEFAULT = 'env_bool("PLATINIUM_REQUIRE_2FA", not DEBUG)'

# Runs the settings source (possibly mutated) as platinium.settings would run, prints values.
_PROBE = """
import json, sys, types
source = sys.stdin.read()
module = types.ModuleType("platinium.settings")
module.__file__ = {path!r}
exec(compile(source, {path!r}, "exec"), module.__dict__)
print(json.dumps({{"DEBUG": module.DEBUG, "REQUIRE_2FA": module.PLATINIUM_REQUIRE_2FA}}))
"""


def settings_under(env: dict[str, str], *, source: str | None = None) -> dict[str, bool]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLATINIUM_"))}
    base.update({"DJANGO_DEBUG": "", "PLATINIUM_REQUIRE_2FA": "", "DJANGO_SECRET_KEY": "x" * 50})
    base.update(env)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(path=str(SETTINGS))],
        input=source if source is not None else SETTINGS.read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=base,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def production_requires_2fa(source: str | None = None) -> bool:
    """The property: DEBUG false and PLATINIUM_REQUIRE_2FA not set → 2FA required."""
    values = settings_under({}, source=source)
    return values["DEBUG"] is False and values["REQUIRE_2FA"] is True


def test_production_without_the_variable_requires_2fa():
    assert production_requires_2fa()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PLATINIUM_REQUIRE_2FA": "true"}, True),
        ({"PLATINIUM_REQUIRE_2FA": "false"}, False),  # an explicit, visible opt-out only
        ({"DJANGO_DEBUG": "true"}, False),  # development convenience
        ({"DJANGO_DEBUG": "true", "PLATINIUM_REQUIRE_2FA": "true"}, True),
    ],
)
def test_2fa_follows_the_explicit_variable_and_debug(env, expected):
    assert settings_under(env)["REQUIRE_2FA"] is expected


def test_negative_control_2fa_off_by_default_is_detected():
    source = SETTINGS.read_text(encoding="utf-8")
    assert THE_DEFAULT in source, "the 2FA default moved: update this control"
    mutated = source.replace(THE_DEFAULT, 'env_bool("PLATINIUM_REQUIRE_2FA", False)')
    assert not production_requires_2fa(mutated)
    mutated = source.replace(THE_DEFAULT, 'env_bool("PLATINIUM_REQUIRE_2FA", DEBUG)')
    assert not production_requires_2fa(mutated)
