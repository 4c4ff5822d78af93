"""Demo SDV and signatures (manage.py seed_demo, demo/seed.py): the demo monitor verifies
the critical data of the first randomized participant of site 11 and the demo investigator
signs that casebook, so both statuses show. Idempotent: nothing is added twice."""

from __future__ import annotations

import random
from typing import Any

from accounts.models import User
from monitoring import sdv, signing
from monitoring.models import CasebookSignature, Verification
from monitoring.services import sign_casebook, verify_rows
from participants.models import Participant


def seed(*, users: dict[str, User], rng: random.Random, stdout: Any) -> None:
    monitor, investigator = users.get("demo-monitor"), users.get("demo-investigator")
    participant = (
        Participant.objects.filter(site__code="11", allocation__isnull=False).order_by("pk").first()
    )
    if monitor is None or investigator is None or participant is None:
        return
    if Verification.objects.filter(participant=participant).exists():
        return
    rows = [
        (row.form.label, row.obj.pk, row.obj.version)
        for row in sdv.rows_of(participant)
        if row.state != sdv.VERIFIED
    ]
    if rows:
        verify_rows(participant, rows=rows, by=monitor)
    if not CasebookSignature.objects.filter(participant=participant).exists():
        sign_casebook(
            participant, by=investigator, seen_digest=signing.casebook_digest(participant)
        )
    stdout.write(f"Monitoring demo: {len(rows)} row(s) verified, {participant.code} signed")
