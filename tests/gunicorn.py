"""gunicorn serving a database over loopback, for tests and the load scenario (bench/loadtest).

The app runs as in production (gunicorn, DEBUG off) with tests.settings' test-only changes
(fast password hasher, no 2FA, eager Celery, no HTTPS redirect). Loopback only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url(settings_dict: dict) -> str:
    """The URL of a Django database (TCP, or a Unix socket directory as ?host=)."""
    s = settings_dict
    user = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    options = s.get("OPTIONS", {})  # the embedded server's socket comes as OPTIONS host
    host = s.get("HOST") or options.get("host") or "127.0.0.1"
    port = s.get("PORT") or options.get("port") or "5432"
    if host.startswith("/"):
        return f"postgres://{user}@/{s['NAME']}?host={host}&port={port}"
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def gunicorn_serving(
    database_url: str, log_path: Path, *, workers: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start gunicorn on a free loopback port, wait for /healthz, yield (base URL, process);
    stopped with SIGTERM on exit."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_DEBUG": "false",
        "PLATINIUM_REQUIRE_2FA": "false",
        "DATABASE_URL": database_url,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", "gunicorn", "platinium.wsgi"]
    command += ["-b", f"127.0.0.1:{port}", "-w", str(workers)]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while not _answers(base + "/healthz"):
                if process.poll() is not None:
                    raise RuntimeError("gunicorn stopped: " + log_path.read_text()[-3000:])
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer in 60 s")
                time.sleep(0.3)
            yield base, process
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
