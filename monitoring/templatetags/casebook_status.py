"""The casebook's SDV progress and signature status on the participant page.

crf sits below monitoring (import-linter), so crf's participant page loads this tag
library instead of importing monitoring (docs/decisions/0014-sdv-and-signature.md).
One query whatever the casebook's size, compiled once per process (monitoring/casebook_state.py).
"""

from __future__ import annotations

from typing import Any

from django import template

from accounts.access import has_capability
from accounts.roles import Capability as C
from monitoring import sdv, signing
from monitoring.casebook_state import casebook_state
from participants.models import Participant

register = template.Library()


@register.inclusion_tag("monitoring/_casebook_status.html", takes_context=True)
def casebook_status(context: dict[str, Any], participant: Participant) -> dict[str, Any]:
    user = context["request"].user
    annotated = casebook_state(participant)
    return {
        "participant": participant,
        "progress": sdv.progress_of(annotated),
        "status": signing.signature_status_of(annotated),
        "can_verify": has_capability(user, C.SDV, participant.site_id),
        "can_sign": has_capability(user, C.SIGN, participant.site_id),
    }
