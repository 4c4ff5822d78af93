"""The randomization confirmation (page, PDF, e-mail): participant, number, time, kits.

Built from blinded data only: this module never imports arm_access.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from platinium.lib.pdf import render_pdf
from randomization.models import Allocation, Kit


def confirmation_context(allocation: Allocation) -> dict[str, Any]:
    kits = list(
        Kit.objects.filter(participant_id=allocation.participant_id)
        .order_by("allocated_at", "code")
        .values_list("code", flat=True)
    )
    return {
        "participant_code": allocation.participant.code,
        "site": allocation.site,
        "rand_no": allocation.slot.rand_no,
        # Shown in Europe/Paris whatever the server time zone (protocol.md §2).
        "randomized_at": timezone.localtime(allocation.randomized_at),
        "kit_codes": kits,
        "randomized_by": allocation.randomized_by.get_username(),
    }


def confirmation_pdf(allocation: Allocation) -> bytes:
    return render_pdf("pdf/randomization_confirmation.html", confirmation_context(allocation))


def confirmation_filename(allocation: Allocation) -> str:
    return f"randomization_{allocation.participant.code}.pdf"
