"""E-mail backends for tests that run a real Celery worker (a separate process)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class SlowFileBackend(BaseEmailBackend):
    """Each message becomes one file `mail-*.eml` in PLATINIUM_TEST_EMAIL_DIR.

    With PLATINIUM_TEST_EMAIL_DELAY seconds set, it first leaves a `sending-*` marker and
    waits: a test can then kill the worker while the e-mail is being sent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(os.environ["PLATINIUM_TEST_EMAIL_DIR"])
        self.delay = float(os.environ.get("PLATINIUM_TEST_EMAIL_DELAY", "0"))

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        if self.delay:
            (self.directory / f"sending-{os.getpid()}-{time.time_ns()}").touch()
            time.sleep(self.delay)
        for message in email_messages:
            path = self.directory / f"mail-{os.getpid()}-{time.time_ns()}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(email_messages)
