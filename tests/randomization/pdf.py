"""Read a PDF back as text with pdftotext (poppler), as the sites would see it."""

from __future__ import annotations

import subprocess


def pdf_text(data: bytes) -> str:
    result = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")
