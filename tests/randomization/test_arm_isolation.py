"""Only randomization/arm_access.py may reach the arm cipher (roles.md C2; reliability
issue: searching the source for one function name misses `arm_access._open(...)` in a view).

An AST scan of every project module (migrations included, tests excluded) enforces:
1. only arm_access imports randomization.arm_cipher (any import form, or by module name
   in a string, e.g. importlib);
2. only arm_cipher imports the `cryptography` package (no second way to decrypt);
3. outside arm_access, nothing touches a private name of arm_access (`_open`, `_key`…):
   not by `from … import _x`, not by `arm_access._x`, not by `getattr(arm_access, "_x")`;
4. outside arm_access and arm_cipher, no name `decrypt_arm` / `_fernet` is used at all.
The negative controls inject each offending form into a copy of a real view module and
show the scan reports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACCESS = "randomization/arm_access.py"
CIPHER = "randomization/arm_cipher.py"
ACCESS_MODULE = "randomization.arm_access"
CIPHER_MODULE = "randomization.arm_cipher"
CIPHER_NAMES = {"decrypt_arm", "_fernet"}
SKIPPED = (".venv/", "tests/", ".data/", "bench/", "node_modules/")


def project_sources() -> dict[str, str]:
    out = {}
    tops = [p for p in ROOT.iterdir() if not (p.name + "/").startswith(SKIPPED)]
    for top in tops:
        for path in [top] if top.is_file() else top.rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.endswith(".py") and not rel.startswith(SKIPPED):
                out[rel] = path.read_text(encoding="utf-8")
    return out


def _module_of(node: ast.ImportFrom) -> str:
    return node.module or ""


def offences(rel: str, source: str) -> list[str]:
    """What `rel` does that only arm_access (or arm_cipher) may do."""
    if rel == CIPHER:
        return []
    found: list[str] = []
    tree = ast.parse(source, rel)
    access_aliases: set[str] = set()  # local names bound to the arm_access module
    is_access = rel == ACCESS
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == CIPHER_MODULE and not is_access:
                    found.append(f"imports {CIPHER_MODULE}")
                if alias.name.split(".")[0] == "cryptography":
                    found.append(f"imports {alias.name}")
                if alias.name == ACCESS_MODULE:
                    access_aliases.add(alias.asname or "randomization")
        elif isinstance(node, ast.ImportFrom):
            module = _module_of(node)
            names = {a.name for a in node.names}
            if module.split(".")[0] == "cryptography":
                found.append(f"imports from {module}")
            if not is_access and (
                module == CIPHER_MODULE or (module == "randomization" and "arm_cipher" in names)
            ):
                found.append(f"imports the cipher from {module}")
            if module == ACCESS_MODULE:
                private = sorted(n for n in names if n.startswith("_"))
                if private and not is_access:
                    found.append(f"imports private {private} from arm_access")
            if module == "randomization":
                for alias in node.names:
                    if alias.name == "arm_access":
                        access_aliases.add(alias.asname or "arm_access")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if CIPHER_MODULE in node.value and not is_access:
                found.append(f"names {CIPHER_MODULE} in a string")
        elif isinstance(node, ast.Name) and node.id in CIPHER_NAMES and not is_access:
            found.append(f"uses {node.id}")
        elif isinstance(node, ast.alias) and node.name in CIPHER_NAMES and not is_access:
            found.append(f"imports {node.name}")
    if is_access:
        return found
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and _refers_to_access(node.value, access_aliases)
        ):
            found.append(f"calls private arm_access.{node.attr}")
        if isinstance(node, ast.Attribute) and node.attr in CIPHER_NAMES:
            found.append(f"uses .{node.attr}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and _refers_to_access(node.args[0], access_aliases)
            and not (
                isinstance(node.args[1], ast.Constant)
                and not str(node.args[1].value).startswith("_")
            )
        ):
            found.append("reads arm_access through getattr")
    return found


def _refers_to_access(node: ast.expr, aliases: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in aliases and node.id != "randomization"
    # randomization.arm_access._x after `import randomization.arm_access`
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "arm_access"
        and isinstance(node.value, ast.Name)
        and node.value.id == "randomization"
    )


def scan(sources: dict[str, str]) -> dict[str, list[str]]:
    report = {rel: offences(rel, src) for rel, src in sources.items()}
    return {rel: found for rel, found in report.items() if found}


def test_only_arm_access_reaches_the_cipher():
    sources = project_sources()
    assert ACCESS in sources and CIPHER in sources and "randomization/views.py" in sources
    assert scan(sources) == {}


VIEW = "randomization/views.py"
MUTATIONS = {
    "private helper": "from randomization import arm_access\n"
    "def leak(slot):\n    return arm_access._open(slot.arm_token)\n",
    "private helper, aliased": "from randomization import arm_access as aa\n"
    "def leak(slot):\n    return aa._open(slot.arm_token)\n",
    "private helper, dotted": "import randomization.arm_access\n"
    "def leak(slot):\n    return randomization.arm_access._open(slot.arm_token)\n",
    "private import": "from randomization.arm_access import _open, _key\n",
    "getattr": "from randomization import arm_access\n"
    "def leak(slot):\n    return getattr(arm_access, '_' + 'open')(slot.arm_token)\n",
    "cipher import": "from randomization import arm_cipher\n",
    "cipher function": "from randomization.arm_cipher import decrypt_arm\n",
    "cipher by name": "import importlib\n"
    "cipher = importlib.import_module('randomization.arm_cipher')\n",
    "second decryptor": "from cryptography.fernet import Fernet\n",
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_negative_control_a_view_reaching_the_cipher_is_reported(mutation):
    # The real view module plus the offending lines (the rest of the project is unchanged
    # and scanned clean by the test above).
    view = (ROOT / VIEW).read_text(encoding="utf-8")
    assert scan({VIEW: view}) == {}
    assert VIEW in scan({VIEW: view + "\n\n" + MUTATIONS[mutation]}), f"{mutation} unnoticed"


def test_the_public_entry_points_are_not_reported():
    # A view may call arm_access's public, role-checked functions.
    sources = {
        VIEW: "from randomization import arm_access\n"
        "def ok(slot, user):\n    return arm_access.arm_of_slot(slot, user=user)\n"
    }
    assert scan(sources) == {}
