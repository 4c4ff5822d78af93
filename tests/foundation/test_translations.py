"""French first: every user-facing string is in the French catalogue, translated."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for every entry of a .po file (header excluded)."""
    entries = []
    for block in po_text.split("\n\n"):
        lines = [line for line in block.strip().splitlines() if line.strip()]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?|msgctxt) \"(.*)\"$", line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            msgstrs = [v for k, v in fields.items() if k.startswith("msgstr")]
            # A context entry (pgettext) is keyed "context\x04msgid", as in the .mo.
            key = fields["msgid"]
            if "msgctxt" in fields:
                key = f"{fields['msgctxt']}\x04{key}"
            entries.append((key, " ".join(msgstrs) if all(msgstrs) else "", fuzzy))
    return entries


def test_french_catalogue_has_every_entry_translated_and_none_fuzzy() -> None:
    entries = _entries(CATALOGUE.read_text(encoding="utf-8"))
    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr, _fuzzy in entries if not msgstr]
    fuzzy = [msgid for msgid, _msgstr, is_fuzzy in entries if is_fuzzy]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


def test_compiled_catalogue_is_up_to_date() -> None:
    """The .mo Django reads gives, for every entry of the .po, that entry's translation
    (file dates mean nothing in a fresh clone, so compare contents)."""
    with CATALOGUE.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr, _fuzzy in _entries(CATALOGUE.read_text(encoding="utf-8"))
        # Plural entries are keyed (msgid, n); entries with escapes are skipped.
        if (msgid, 0) not in compiled._catalog
        and "\\" not in msgid + msgstr
        and compiled.gettext(msgid) != msgstr
    ]
    assert len(compiled._catalog) > 100
    assert not stale, f"{len(stale)} entries differ in the .mo, e.g. {stale[:5]}"


def test_compiled_check_catches_a_catalogue_edited_without_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: change one translation in a copy of the .po, keep the old .mo."""
    edited = tmp_path / "django.po"
    text = CATALOGUE.read_text(encoding="utf-8")
    assert 'msgstr "Bienvenue, %(name)s"' in text
    edited.write_text(text.replace('msgstr "Bienvenue, %(name)s"', 'msgstr "Salut, %(name)s"'))
    shutil.copy(CATALOGUE.with_suffix(".mo"), edited.with_suffix(".mo"))
    monkeypatch.setattr(sys.modules[__name__], "CATALOGUE", edited)
    with pytest.raises(AssertionError, match="Welcome"):
        test_compiled_catalogue_is_up_to_date()


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools not installed")
def test_catalogue_contains_every_string_of_the_code(tmp_path: Path) -> None:
    """Re-extract the strings into a scratch catalogue: none may be missing from ours."""
    # Work on a copy of the sources so makemessages cannot touch the real catalogue.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".data",
            ".git",
            "locale",
            "node_modules",
            "__pycache__",
            ".pytest_cache",
            ".hypothesis",
        ),
    )
    (source / "locale").mkdir()
    env = {**os.environ, "DJANGO_DEBUG": "true", "PLATINIUM_DATA_DIR": str(ROOT / ".data")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("PLATINIUM_LOCALE_DIR", None)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "fr",
            "--no-location",
            "--ignore=tests",
            "--ignore=bench",
        ],
        cwd=source,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    fresh_po = (source / "locale/fr/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    fresh = {m for m, _s, _f in _entries(fresh_po)}
    ours = {m for m, _s, _f in _entries(CATALOGUE.read_text(encoding="utf-8"))}
    missing = sorted(fresh - ours)
    assert not missing, f"{len(missing)} strings missing from locale/fr, e.g. {missing[:5]}"
