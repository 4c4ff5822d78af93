"""The repository stands on its own, and its trial documentation stays in step with the code.

1. No tracked file refers to a folder outside the repository (the sibling reference
   folder, or an absolute path of the machine it was written on): a fresh clone anywhere
   must run.
2. Every citation of a trial document in the code ("protocol.md §4", "crf-spec §2.9",
   "roles.md invariant 3", "roles.md C2", 'randomization.md "Blinding beyond the arm
   field"') names a heading or item that exists in docs/trial/.
3. The authorization matrix of docs/trial/roles.md §2 is the one transcribed in
   tests/foundation/test_roles_matrix.py, which itself must equal accounts/roles.py.

Each scanner has a negative control on a sample text that must be flagged.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.foundation.test_roles_matrix import MATRIX, parse_matrix

ROOT = Path(__file__).resolve().parents[2]
TRIAL_DOCS = ROOT / "docs" / "trial"
TRIAL_FILES = ("protocol", "crf-spec", "roles", "randomization")

# Third-party minified files and source maps: not ours, and they mention unrelated paths.
EXCLUDED_PREFIXES = ("static/vendor/",)
# Built without writing the forbidden strings literally, so this file does not flag itself.
_WORK = "/" + "work/"
_SIBLING = ".." + "/shared"
OUTSIDE_PATTERNS = (
    re.compile(re.escape(_SIBLING)),
    # An absolute path under the machine's work folder (not a URL path, which follows a host).
    re.compile(r"(?<![\w.\-/])" + re.escape(_WORK)),
)


# ---------------------------------------------------------------------------------------------
# Which files


def tracked_files() -> list[str]:
    """Paths git tracks (relative to the root), without the vendored third-party files."""
    try:
        output = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        paths = [p for p in output.decode("utf-8").split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        # Not a git checkout (an exported tree): every file except the usual local folders.
        skip = {".git", ".venv", ".data", "__pycache__", "node_modules", ".ruff_cache"}
        paths = [
            path.relative_to(ROOT).as_posix()
            for path in ROOT.rglob("*")
            if path.is_file() and not skip.intersection(path.relative_to(ROOT).parts)
        ]
    return sorted(p for p in paths if not p.startswith(EXCLUDED_PREFIXES))


@cache
def _texts() -> dict[str, str]:
    texts = {}
    for path in tracked_files():
        data = (ROOT / path).read_bytes() if (ROOT / path).is_file() else b""
        texts[path] = data.decode("utf-8", errors="replace")  # .mo files are scanned too
    return texts


# ---------------------------------------------------------------------------------------------
# 1. Nothing outside the repository


def outside_references(text: str) -> list[str]:
    """Each line of `text` that refers to a folder outside the repository."""
    return [
        line.strip()
        for line in text.splitlines()
        if any(pattern.search(line) for pattern in OUTSIDE_PATTERNS)
    ]


def test_the_scanner_flags_paths_outside_the_repository() -> None:
    sample = (
        "ok: docs/trial/protocol.md and tests/fixtures/eligibility/cases.json\n"
        f'EXAMPLES = Path("{_WORK}shared/examples/eligibility")\n'
        f"# see {_SIBLING}/roles.md\n"
        f"open('{_WORK}main/.venv/bin/python')\n"
        f"a url https://example.com{_WORK}page is fine\n"
    )
    flagged = outside_references(sample)
    assert len(flagged) == 3, flagged
    assert not any("docs/trial" in line or "example.com" in line for line in flagged)


def test_no_tracked_file_refers_to_a_folder_outside_the_repository() -> None:
    texts = _texts()
    assert "manage.py" in texts and "tests/fixtures/eligibility/cases.json" in texts
    offenders = {path: lines for path, text in texts.items() if (lines := outside_references(text))}
    assert offenders == {}


# ---------------------------------------------------------------------------------------------
# 2. Citations of docs/trial/ point to something that exists


@dataclass(frozen=True)
class Citation:
    document: str  # "protocol", "crf-spec", "roles", "randomization"
    kind: str  # "section", "heading", "invariant", "note"
    target: str  # "4.2", "Blinding beyond the arm field", "3", "C2"
    where: str

    def __str__(self) -> str:
        cited = f"{self.document}.md {self.kind} {self.target}"
        return f"{self.where}: {cited}" if self.where else cited


# A trial document, with or without ".md", or any other markdown file cited by section.
_DOC = r"\b(?:(?P<doc>protocol|crf-spec|roles|randomization)(?:\.md)?|(?P<other>[\w-]+)\.md)"
_NUMBER = r"\d+(?:\.\d+)*"
_SECTIONS = re.compile(
    _DOC + r",?\s*(?P<refs>§\s*" + _NUMBER + r"(?:\s*(?:/|,|and|or|et)\s*§?\s*" + _NUMBER + ")*)"
)
_HEADING = re.compile(
    r"\b(?P<doc>protocol|crf-spec|roles|randomization)\.md,?\s+\"(?P<title>[^\"\n]+)\""
)
_INVARIANTS = re.compile(
    r"\broles(?:\.md)?\s+invariants?\s+(?P<refs>\d+(?:\s*(?:,|and|et)\s*\d+)*)"
)
_NOTES = re.compile(r"\broles(?:\.md)?\s+(?P<note>C\d+)\b")


def citations(text: str, where: str = "") -> Iterator[Citation]:
    for match in _SECTIONS.finditer(text):
        for number in re.findall(_NUMBER, match["refs"]):
            yield Citation(match["doc"] or match["other"], "section", number, where)
    for match in _HEADING.finditer(text):
        yield Citation(match["doc"], "heading", match["title"], where)
    for match in _INVARIANTS.finditer(text):
        for number in re.findall(r"\d+", match["refs"]):
            yield Citation("roles", "invariant", number, where)
    for match in _NOTES.finditer(text):
        yield Citation("roles", "note", match["note"], where)


@dataclass(frozen=True)
class TrialDocument:
    sections: frozenset[str]  # "4", "4.2", "0.1"
    titles: frozenset[str]  # lower-case heading titles without their number
    invariants: frozenset[str]
    notes: frozenset[str]


_HEADING_LINE = re.compile(r"^#{1,6}\s+(?:(?P<number>" + _NUMBER + r")\.?\s+)?(?P<title>.+?)\s*$")


def parse_document(text: str) -> TrialDocument:
    sections, titles, invariants, notes = set(), set(), set(), set()
    in_invariants = False
    for line in text.splitlines():
        heading = _HEADING_LINE.match(line)
        if heading:
            if heading["number"]:
                sections.add(heading["number"])
            title = heading["title"].lower()
            titles.add(title)
            in_invariants = title.startswith("invariants")
            continue
        item = re.match(r"^(\d+)\.\s", line)
        if in_invariants and item:
            invariants.add(item[1])
        notes.update(re.findall(r"\*\*(C\d+)\*\*", line))
    return TrialDocument(
        frozenset(sections), frozenset(titles), frozenset(invariants), frozenset(notes)
    )


def _exists(citation: Citation, document: TrialDocument) -> bool:
    if citation.kind == "section":
        return citation.target in document.sections
    if citation.kind == "heading":
        return re.sub(r"^#+\s*", "", citation.target).lower() in document.titles
    if citation.kind == "invariant":
        return citation.target in document.invariants
    return citation.target in document.notes


def unresolved(found: Iterable[Citation], documents: dict[str, TrialDocument]) -> list[str]:
    """The citations that name a document, section, heading or item that does not exist."""
    return [
        str(citation)
        for citation in found
        if citation.document not in documents or not _exists(citation, documents[citation.document])
    ]


def trial_documents(folder: Path = TRIAL_DOCS) -> dict[str, TrialDocument]:
    return {
        name: parse_document((folder / f"{name}.md").read_text(encoding="utf-8"))
        for name in TRIAL_FILES
        if (folder / f"{name}.md").exists()
    }


def test_the_citation_checker_flags_a_citation_without_a_target() -> None:
    documents = trial_documents()
    good = (
        "protocol.md §4.2, crf-spec §2.9, crf-spec.md §2.1/§2.4, roles.md invariants 3 and 4, "
        'roles.md C2, randomization.md "Blinding beyond the arm field", roles.md "## Matrix"'
    )
    assert len(list(citations(good))) == 9
    assert unresolved(citations(good), documents) == []
    bad = (
        "protocol.md §9 | crf-spec.md §2.1/§2.18 | roles.md invariant 7 | roles.md C4 | "
        'randomization.md "No such heading" | style.md §1 (not a trial document)'
    )
    assert unresolved(citations(bad), documents) == [
        "protocol.md section 9",
        "crf-spec.md section 2.18",
        "style.md section 1",
        "randomization.md heading No such heading",
        "roles.md invariant 7",
        "roles.md note C4",
    ]
    # A trial document that disappears makes all its citations unresolved.
    without_roles = {k: v for k, v in documents.items() if k != "roles"}
    assert unresolved(citations("roles.md §2"), without_roles) == ["roles.md section 2"]


def test_every_trial_citation_in_the_repository_points_to_an_existing_heading() -> None:
    documents = trial_documents()
    assert set(documents) == set(TRIAL_FILES)
    found = [
        citation
        for path, text in _texts().items()
        if not path.startswith("tests/foundation/test_standalone.py")
        for citation in citations(text, path)
    ]
    # Not vacuous: the code cites the trial documents well over a hundred times.
    assert len(found) > 100, len(found)
    assert {c.document for c in found} == set(TRIAL_FILES)
    assert unresolved(found, documents) == []


# ---------------------------------------------------------------------------------------------
# 3. The matrix of roles.md is the one the tests check against the code


def documented_matrix(text: str) -> dict[str, list[str]]:
    """Rows of the table under the "Matrix" heading of roles.md (header and rule skipped)."""
    section = text.split("## 2. Matrix", 1)[1].split("\n## ", 1)[0]
    rows = [
        line
        for line in section.splitlines()
        if line.startswith("|") and not line.startswith(("| action", "|---"))
    ]
    return parse_matrix("\n".join(rows))


def test_roles_md_matrix_is_the_one_checked_against_the_code() -> None:
    text = (TRIAL_DOCS / "roles.md").read_text(encoding="utf-8")
    documented = documented_matrix(text)
    assert len(documented) == 24
    assert documented == parse_matrix(MATRIX)
    # Negative control: one changed cell in the document is seen.
    edited = text.replace(
        "| randomize a participant | S | S |", "| randomize a participant | S | — |"
    )
    assert edited != text
    assert documented_matrix(edited) != parse_matrix(MATRIX)
