"""PDF of the SAE form (WeasyPrint), attached to the vigilance e-mail. Never loads the arm."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone


def sae_pdf(ae: Any, *, follow_up: bool = False) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "pdf/sae.html",
        {
            "ae": ae,
            "participant": ae.participant,
            "deadline": ae.sae_deadline(),
            "generated_at": timezone.now(),
            "follow_up": follow_up,
        },
    )
    return HTML(string=html).write_pdf()
