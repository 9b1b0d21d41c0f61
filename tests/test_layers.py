"""The layers of DESIGN.md, kept by a test: imports point down only.

Each package may import only the packages listed for it (and itself). Imports
inside `if TYPE_CHECKING:` are type references, not dependencies, and are
allowed to point up to the composition root (the `Runtime` a handler is given).
"""

from __future__ import annotations

import ast
from pathlib import Path

import watchkeep

ROOT = Path(watchkeep.__file__).parent

KERNEL = {"kernel"}
BELOW_CORE = {"worker", "outbox", "db", *KERNEL}
BELOW_FEATURES = {"core", *BELOW_CORE}
BELOW_ADAPTERS = {"oncall", "ingest", "runbooks", *BELOW_FEATURES}
ALLOWED: dict[str, set[str]] = {
    "kernel": set(),
    "db": KERNEL,
    "outbox": {"db", *KERNEL},
    "worker": {"outbox", "db", *KERNEL},
    "core": BELOW_CORE,
    "oncall": BELOW_FEATURES,
    "ingest": BELOW_FEATURES,
    "runbooks": {"oncall", *BELOW_FEATURES},
    "slack": BELOW_ADAPTERS,
    "api": {"slack", *BELOW_ADAPTERS, "root"},
    "web": {"slack", "fakeslack", *BELOW_ADAPTERS, "root"},
    # The fake Slack stands alone: a stand-in for Slack knows nothing of Watchkeep.
    "fakeslack": set(),
}
# Modules at the top of the package: shared helpers, or the composition root.
TOP_LEVEL = {
    "config": "kernel",
    "crypto": "kernel",
    "clock": "kernel",
    "logs": "kernel",
    "metrics": "kernel",
}
ROOT_MODULES = {
    "app",
    "request_log",
    "request_retry",
    "runtime",
    "cli",
    "demo",
    "schema",
    "__main__",
    "__init__",
}


def component(module: str) -> str:
    """The layer a dotted module name (`watchkeep.slack.render`) belongs to."""
    parts = module.split(".")
    if len(parts) == 1:
        return "root"
    head = parts[1]
    if head in TOP_LEVEL:
        return TOP_LEVEL[head]
    if head in ROOT_MODULES:
        return "root"
    return head


def module_name(path: Path, root: Path) -> str:
    relative = path.relative_to(root.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, root: Path) -> list[tuple[int, str, bool]]:
    """(line, imported module, only for type checking) for every Watchkeep import."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(child) for child in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # `from watchkeep import outbox` imports the module watchkeep.outbox.
            names = [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == "watchkeep" or name.startswith("watchkeep."):
                found.append((node.lineno, name, id(node) in type_only))
    return found


def violations(root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # Alembic's scripts load the whole schema by design.
        importer = component(module_name(path, root))
        if importer == "root":
            continue
        allowed = ALLOWED[importer] | {importer}
        for line, name, type_only in imports(path, root):
            target = component(name)
            if target in allowed or (type_only and target == "root"):
                continue
            where = path.relative_to(root.parent)
            problems.append(f"{where}:{line}: {importer} imports {name} ({target})")
    return problems


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    # A package of the composition root (the demo) may import anything, like `cli`.
    packages -= ROOT_MODULES
    assert packages <= set(ALLOWED), f"give {sorted(packages - set(ALLOWED))} a layer here"


def test_imports_point_down_only() -> None:
    assert violations() == []


def test_the_check_sees_upward_imports(tmp_path: Path) -> None:
    # The check itself must be able to fail: the core reaching up into Slack (in
    # each import form), or the worker into the core, is caught.
    package = tmp_path / "watchkeep"
    for folder in ("core", "worker", "slack"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "core" / "events.py").write_text(
        "from watchkeep.slack import render\nfrom .. import slack\nimport watchkeep.api.deps\n"
    )
    (package / "worker" / "loop.py").write_text("from watchkeep.core.models import Incident\n")
    (package / "slack" / "render.py").write_text("from watchkeep.core import models\n")
    assert violations(package) == [
        "watchkeep/core/events.py:1: core imports watchkeep.slack.render (slack)",
        "watchkeep/core/events.py:2: core imports watchkeep.slack (slack)",
        "watchkeep/core/events.py:3: core imports watchkeep.api.deps (api)",
        "watchkeep/worker/loop.py:1: worker imports watchkeep.core.models.Incident (core)",
    ]
