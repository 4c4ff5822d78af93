"""Find writes to clinical tables that bypass the services (an `ast` scan of product code).

A service write is versioned, reasoned, in the field history and in the audit trail. A
queryset `update()`, `bulk_update()`, `bulk_create()`, `delete()`, `raw()` or hand-written
SQL skips some of that (no version bump, no `save()`, no reason), so each one outside the
single write path must be on the allowlist of tests/architecture/test_single_write_path.py.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = frozenset({"tests", ".venv", "migrations", "node_modules", "__pycache__"})

# Writes that bypass save(): always on a queryset or manager.
BULK_WRITES = frozenset({"update", "bulk_update", "bulk_create", "raw"})
# Never on a model (hard deletion is forbidden) whatever the receiver.
DELETES = frozenset({"delete"})
SQL_CALLS = frozenset({"execute", "executemany"})
# What makes an expression a manager or queryset (dict.update / set.update are not).
MANAGER_ATTRS = frozenset({"objects", "_default_manager", "_base_manager"})
QUERYSET_METHODS = frozenset(
    {
        "all",
        "filter",
        "exclude",
        "select_for_update",
        "select_related",
        "prefetch_related",
        "order_by",
        "only",
        "defer",
        "using",
        "none",
        "current",
        "open",
        "for_object",
        "for_participant",
        "visible_to",
        "at_site",
        "annotate",
        "distinct",
    }
)


# Every model class name of the project, clinical or not (set by the caller's registry).
_KNOWN_MODELS: set[str] = set()


def know_models(names: Iterable[str]) -> None:
    """Tell the scanner every model name: a write on a known non-clinical model passes."""
    _KNOWN_MODELS.update(names)


@dataclass(frozen=True)
class Write:
    path: str  # relative to the repository root
    line: int
    model: str  # the model class name, or "?" when the receiver is not a class name
    method: str
    code: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.path, self.model, self.method)


def _chain(node: ast.AST) -> Iterator[ast.AST]:
    """The receiver chain of `a.b(…).c[…].d`, outermost first, down to its root."""
    while True:
        yield node
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        else:
            return


def _root_name(node: ast.AST) -> str:
    *_, root = _chain(node)
    return root.id if isinstance(root, ast.Name) else ""


def _is_queryset(node: ast.AST, querysets: dict[str, str]) -> bool:
    for part in _chain(node):
        if isinstance(part, ast.Attribute) and part.attr in MANAGER_ATTRS:
            return True
        if (
            isinstance(part, ast.Call)
            and isinstance(part.func, ast.Attribute)
            and part.func.attr in QUERYSET_METHODS
        ):
            return True
        if isinstance(part, ast.Name) and part.id in querysets:
            return True
    return False


def _model_of(node: ast.AST, querysets: dict[str, str], models: set[str]) -> str:
    """The model class the receiver starts from (any model), else "?"."""
    root = _root_name(node)
    if root in models or root in _KNOWN_MODELS:
        return root
    return querysets.get(root, "?")


def _sql_mentions(call: ast.Call, tables: set[str]) -> bool:
    """True when the SQL names a clinical table, or is built at run time (unknowable)."""
    if not call.args:
        return False
    sql = call.args[0]
    if isinstance(sql, ast.Constant) and isinstance(sql.value, str):
        text = sql.value.lower()
        return any(table in text for table in tables)
    return True


def scan_source(source: str, path: str, *, models: set[str], tables: set[str]) -> list[Write]:
    """Every write that bypasses the services in one module.

    `models`: names of the clinical model classes; `tables`: their table names.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    querysets: dict[str, str] = {}  # variable → model class name ("?") bound to a queryset
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_queryset(node.value, querysets):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    querysets[target.id] = _model_of(node.value, querysets, models)
    found: list[Write] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        model = _model_of(receiver, querysets, models)
        hit = False
        if method in DELETES:
            hit = True
        elif method in BULK_WRITES:
            hit = _is_queryset(receiver, querysets) and (model == "?" or model in models)
        elif method in SQL_CALLS:
            hit = _sql_mentions(node, tables)
            model = "SQL"
        elif method == "cursor" and _root_name(receiver) in {"connection", "connections"}:
            hit, model = True, "SQL"
        if hit:
            code = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
            found.append(Write(path, node.lineno, model, method, code))
    return found


def product_files(root: Path = ROOT) -> Iterable[Path]:
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if any(p in SKIPPED_DIRS or p.startswith(".") for p in parts[:-1]):
            continue
        yield path


def scan_product(*, models: set[str], tables: set[str], root: Path = ROOT) -> list[Write]:
    found: list[Write] = []
    for path in product_files(root):
        rel = path.relative_to(root).as_posix()
        found += scan_source(path.read_text(encoding="utf-8"), rel, models=models, tables=tables)
    return found
