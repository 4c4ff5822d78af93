"""`make run PORT=8100` serves on that port (issue #11): the Makefile passes PORT to
scripts/run.sh, which checks it before starting anything."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _address(port: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PORT"}
    if port is not None:
        env["PORT"] = port
    return subprocess.run(
        ["bash", "scripts/run.sh", "--address"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_it_serves_on_the_port_given() -> None:
    result = _address("8100")
    assert result.returncode == 0
    assert result.stdout.strip() == "http://127.0.0.1:8100"


def test_it_defaults_to_8000() -> None:
    assert _address(None).stdout.strip() == "http://127.0.0.1:8000"


@pytest.mark.parametrize("port", ["abc", "80", "70000", "8100; rm -rf ."])
def test_it_refuses_a_bad_port_before_starting_anything(port: str) -> None:
    result = _address(port)
    assert result.returncode == 2
    assert "PORT must be a number" in result.stderr
    assert result.stdout == ""


def test_the_runserver_line_uses_the_port() -> None:
    script = (ROOT / "scripts" / "run.sh").read_text()
    assert 'runserver "127.0.0.1:$PORT"' in script
    assert "8000" not in script.split('PORT="${PORT:-8000}"', 1)[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_passes_port_to_the_script() -> None:
    dry = subprocess.run(
        ["make", "-n", "run", "PORT=8100"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert "PORT=8100 bash scripts/run.sh" in dry.stdout
    default = subprocess.run(
        ["make", "-n", "run"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "PORT"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "PORT=8000 bash scripts/run.sh" in default.stdout
