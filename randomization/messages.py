"""Translatable error messages for the pure randomization modules.

The pure modules cannot import Django, so they mark their English source strings
with a local ``gettext_noop`` (``makemessages`` extracts by that name) and return
``Message(msgid, params)``; the Django layer translates with
``gettext(msg.msgid) % msg.params``.
"""

from __future__ import annotations

from typing import Any, NamedTuple


def gettext_noop(s: str) -> str:
    """Mark a string for extraction by ``makemessages`` without translating it."""
    return s


class Message(NamedTuple):
    """One refusal: an untranslated msgid with %-style named parameters."""

    msgid: str
    params: dict[str, Any]

    def render(self) -> str:
        """English text, for the command line and tests (no translation)."""
        return self.msgid % self.params
