"""Release of the unblinded allocation file (issue #10 "Statistician's view"): after the
database lock and the recorded unblinding authorisation (roles.md C2), the randomization
manager downloads participant → arm as a CSV archive (the `allocation` dataset and its
dictionary), re-authenticated; the release is an audit event with the file's SHA-256 and
never the arms themselves (docs/decisions/0026-allocation-release.md)."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import has_capability, roles_of
from accounts.roles import Capability, Role
from audit.services import record
from exports.datasets import allocation_dataset
from exports.formats import write
from exports.services import ExportRefused
from participants import locks


@dataclass(frozen=True)
class AllocationRelease:
    content: bytes
    sha256: str
    filename: str
    rows: int


def may_release(user: Any) -> bool:
    """The randomization manager only (the statistician gets the arm through the
    unblinded export, ADR 0015)."""
    return Role.RANDOMIZATION_MANAGER in roles_of(user) and has_capability(
        user, Capability.EXPORT_UNBLINDED
    )


def release_refusal() -> str:
    """Why the file cannot be released now ("" when it can)."""
    from randomization.models import UnblindingAuthorisation

    if not locks.database_locked():
        return _("The allocation is released only after the database lock.")
    if not UnblindingAuthorisation.objects.exists():
        return _("The allocation is released only once the unblinding authorisation is recorded.")
    return ""


@transaction.atomic
def release_allocation(*, by: Any) -> AllocationRelease:
    """Participant → arm of every allocation, as `allocation.csv` + `dictionary.csv` in a
    zip; the caller re-authenticated `by` first. Audited with the file's SHA-256."""
    if not may_release(by):
        raise PermissionDenied
    refusal = release_refusal()
    if refusal:
        raise ExportRefused(refusal)
    dataset = allocation_dataset(by)
    rows = sum(1 for _row in dataset.rows())
    with tempfile.TemporaryDirectory() as directory:
        (path,) = write("csv", [dataset], Path(directory))
        content = path.read_bytes()
    sha256 = hashlib.sha256(content).hexdigest()
    record(
        "exports.allocation_released",
        by=by,
        site_code="",
        data={"sha256": sha256, "participants": rows},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return AllocationRelease(content, sha256, f"platinium_allocation_{stamp}.zip", rows)
