"""Home-page work list of the analysis exports (issue #11)."""

from __future__ import annotations

from typing import Any

from exports.models import ExportJob


def exports_ready(user: Any) -> int:
    """The user's own export archives ready to download (ADR 0018: requester only)."""
    return ExportJob.objects.of(user).filter(status=ExportJob.Status.DONE).count()
