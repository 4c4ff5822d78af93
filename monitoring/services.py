"""Monitoring actions: source data verification and the investigator's casebook signature."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext

from accounts.access import has_capability
from accounts.roles import Capability as C
from audit.services import record
from monitoring import signing
from monitoring.models import CasebookSignature, Verification
from monitoring.sdv_plan import BY_LABEL
from monitoring.signing import MEANING, casebook_digest
from participants.models import Participant

if TYPE_CHECKING:
    from accounts.types import User


class Refused(Exception):
    """The action was not done; `message` says why (translated)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def parse_row_key(key: str) -> tuple[str, int, int] | None:
    """'crf.adverseevent:12:3' → (label, pk, version); None for anything else."""
    parts = key.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2])


@transaction.atomic
def verify_rows(
    participant: Participant, *, rows: Iterable[tuple[str, int, int]], by: User
) -> list[Verification]:
    """Record that `by` verified these rows at the versions shown to them. All or nothing:
    a row changed since the page was shown refuses the whole action."""
    if not has_capability(by, C.SDV, participant.site_id):
        raise PermissionDenied
    rows = list(rows)
    if not rows:
        raise Refused(gettext("Nothing to verify."))
    site_code = participant.site.code
    created: list[Verification] = []
    for label, pk, version in rows:
        form = BY_LABEL.get(label)
        # The row lock makes a concurrent correction wait: we verify the version we read.
        obj = (
            form.rows()
            .filter(**{form.participant_path: participant}, pk=pk)
            .select_for_update(of=("self",))
            .first()
            if form is not None
            else None
        )
        if obj is None:
            raise Refused(gettext("This row is not part of the SDV plan of this participant."))
        if obj.version != version:
            raise Refused(gettext("A row was changed since you opened the page: check it again."))
        if Verification.objects.filter(model_label=label, object_id=pk, version=version).exists():
            continue
        verification = Verification.objects.create(
            model_label=label,
            object_id=pk,
            participant=participant,
            version=version,
            verified_by=by,
        )
        record(
            "sdv_verified",
            target=obj,
            by=by,
            data={"form": label, "row": pk, "version": version},
            site_code=site_code,
        )
        created.append(verification)
    return created


@transaction.atomic
def sign_casebook(participant: Participant, *, by: User, seen_digest: str) -> CasebookSignature:
    """The investigator signs the casebook as shown (`seen_digest`). Call
    accounts.reauth.reauthenticate first (21 CFR 11.200)."""
    if not has_capability(by, C.SIGN, participant.site_id):
        raise PermissionDenied
    # Writes lock the participant row (participants.services.lock_for_write): holding it
    # makes the digest the state that is signed.
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if signing.open_queries_block(participant):
        raise Refused(
            gettext("This casebook has open queries: they must be closed before signing.")
        )
    digest = casebook_digest(participant)
    if digest != seen_digest:
        raise Refused(
            gettext("The casebook changed since you opened the page: review it and sign again.")
        )
    signature = CasebookSignature.objects.create(
        participant=participant,
        signed_by=by,
        printed_name=by.get_full_name() or by.username,
        meaning=str(MEANING),
        digest=digest,
    )
    record(
        "casebook_signed",
        target=participant,
        by=by,
        data={"signature": signature.pk, "digest": digest, "meaning": signature.meaning},
    )
    return signature
