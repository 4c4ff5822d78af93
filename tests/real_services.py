"""Real services for the integration tests: Redis and a Celery worker process that reach
the same test database as the test itself, on the embedded PostgreSQL (Unix socket) as on
an external server (TCP).

`make test` promises a real worker on Redis. The suite starts its own `redis-server`
(Debian package; `.ci/run` installs it) on a free port, so no test depends on a Redis
the README does not start; `PLATINIUM_REDIS_URL` points at another one instead. When a
promised part is missing the test skips and says why, and fails instead when
`PLATINIUM_WORKER_REQUIRED=true` (CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.gunicorn import free_port


def required(variable: str) -> bool:
    return os.environ.get(variable, "").lower() == "true"


def skip_or_fail(message: str, *, variable: str = "PLATINIUM_WORKER_REQUIRED") -> None:
    """Skip with the reason; fail when CI requires the part."""
    if required(variable):
        pytest.fail(f"{message} ({variable}=true)")
    pytest.skip(message)


def database_url(settings_dict: dict[str, Any]) -> str:
    """A DATABASE_URL that reaches the database of `settings_dict` from another process.
    The embedded server listens on a Unix socket: its directory goes in `?host=`."""
    user = quote(settings_dict.get("USER") or "postgres")
    password = settings_dict.get("PASSWORD") or ""
    auth = user + (f":{quote(password)}" if password else "")
    options = settings_dict.get("OPTIONS") or {}
    host = settings_dict.get("HOST") or options.get("host") or "127.0.0.1"
    name = settings_dict["NAME"]
    if host.startswith("/"):
        return f"postgres://{auth}@/{name}?host={quote(host, safe='/')}"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{name}"


def _answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """`PLATINIUM_REDIS_URL` when set, else a private redis-server on a free port."""
    configured = os.environ.get("PLATINIUM_REDIS_URL")
    if configured:
        if not _answers(configured):
            skip_or_fail(f"Redis does not answer at PLATINIUM_REDIS_URL={configured}")
        yield configured
        return
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis-server is not installed (apt-get install redis-server)")
        return
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while not _answers(url):
            if time.monotonic() > deadline or process.poll() is not None:
                skip_or_fail(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_environment(redis_url: str, settings_dict: dict[str, Any]) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "DATABASE_URL": database_url(settings_dict),
    }


@contextmanager
def celery_worker(
    *,
    queue: str,
    redis_url: str,
    settings_dict: dict[str, Any],
    log: Path,
    cwd: Path,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker process consuming `queue` (also its default queue), on the test's own
    database; `env` adds variables (e.g. where it writes its e-mails)."""
    with log.open("a") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "platinium",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],
            cwd=cwd,
            env={
                **worker_environment(redis_url, settings_dict),
                "CELERY_TASK_DEFAULT_QUEUE": queue,
                **(env or {}),
            },
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
