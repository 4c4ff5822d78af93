"""What a French user reads on a page, and what must not be in it (issue #11).

`visible_text(html)` keeps what the browser shows or reads out: text outside <script>,
<style> and <template>, and the attributes people see (title, placeholder, aria-label, alt,
the value of a button). `problems(text)` lists what has no place in the French UI:
- a snake_case identifier (a field or column name: `temperature_c`, `sofa[0].pao2_mmhg`)
  or a code in capitals (`FU_D60`, `NOT_YET`);
- True / False / None (Python values shown as such: "Oui" / "Non" / "—");
- a Django default object name ("Screening object (12)");
- an English msgid of the catalogue shown untranslated, when it has a French entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from html.parser import HTMLParser

from django.utils.translation import trans_real

SEEN_ATTRIBUTES = frozenset({"title", "placeholder", "aria-label", "alt"})
HIDDEN_ELEMENTS = frozenset({"script", "style", "template"})

SNAKE_CASE = re.compile(r"(?<![\w/@:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@-]|\.\w)")
# Codes in capitals with an underscore: a schedule or choice code (FU_D60, NOT_YET).
UPPER_CODE = re.compile(r"(?<![\w/@:.-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w@-]|\.\w)")
PYTHON_VALUE = re.compile(r"(?<![\w-])(True|False|None)(?![\w-])")
DJANGO_DEFAULT_NAME = re.compile(r"\b[A-Z]\w+ object \(\d+\)")
# Shorter msgids ("Site", "Date", "Total") are the same word in French or too common to
# tell apart from a French sentence: only whole phrases of three words or more count.
MIN_WORDS = 3


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN_ELEMENTS:
            self.hidden_depth += 1
            return
        values = dict(attrs)
        for name in SEEN_ATTRIBUTES:
            if values.get(name):
                self.parts.append(str(values[name]))
        is_button = tag == "button" or values.get("type") in {"submit", "button", "reset"}
        if tag == "input" and is_button and values.get("value"):
            self.parts.append(str(values["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_ELEMENTS and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth and data.strip():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(" ".join(part.split()) for part in parser.parts)


@cache
def translated_phrases() -> tuple[str, ...]:
    """English msgids of three words or more whose French text differs."""
    catalog = trans_real.translation("fr")._catalog  # type: ignore[attr-defined]
    phrases = set()
    for msgid, msgstr in catalog.items():
        if not isinstance(msgid, str) or not msgid or "%" in msgid or "{" in msgid:
            continue
        if msgstr and msgstr != msgid and len(msgid.split()) >= MIN_WORDS and "\n" not in msgid:
            phrases.add(msgid)
    return tuple(sorted(phrases, key=len, reverse=True))


def problems(text: str, ignore: Iterable[str] = ()) -> list[str]:
    """What has no place in `text`; the words of `ignore` (user names) are data."""
    ignored = set(ignore)
    found = [
        f"identifier {m.group(0)!r}" for m in SNAKE_CASE.finditer(text) if m.group(0) not in ignored
    ]
    found += [f"code {m.group(0)!r}" for m in UPPER_CODE.finditer(text)]
    found += [f"Python value {m.group(0)!r}" for m in PYTHON_VALUE.finditer(text)]
    found += [f"default object name {m.group(0)!r}" for m in DJANGO_DEFAULT_NAME.finditer(text)]
    found += [f"English {p!r}" for p in translated_phrases() if p in text]
    return found
