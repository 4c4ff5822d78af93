"""PDF of the SAE form (WeasyPrint), attached to the vigilance e-mail. Never loads the arm."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from platinium.lib.pdf import render_pdf


def sae_pdf(ae: Any, *, follow_up: bool = False) -> bytes:
    return render_pdf(
        "pdf/sae.html",
        {
            "ae": ae,
            "participant": ae.participant,
            "deadline": ae.sae_deadline(),
            "generated_at": timezone.now(),
            "follow_up": follow_up,
        },
    )
