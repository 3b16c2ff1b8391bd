"""The package's layers (docs/architecture.md): imports run one way.

configuration <- policy rules <- program <- CLI, with shipyard.aws and shipyard.errors (AWS
calls outside Pulumi, and the errors a user can act on) beside the configuration. The CLI
imports the program only where it evaluates it offline.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "infra" / "shipyard"
# What each part may import of the package, beyond itself.
ALLOWED = {
    "shipyard.config": set(),
    "shipyard.errors": set(),
    "shipyard.aws": {"shipyard.errors"},
    "shipyard.policy": {"shipyard.config"},
    "shipyard.program": {"shipyard.config", "shipyard.aws", "shipyard.errors"},
    "shipyard.cli": {"shipyard.config", "shipyard.aws", "shipyard.errors", "shipyard.policy"},
}
# The CLI evaluates the program offline here, and only here.
OFFLINE = {"shipyard.cli.offline"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return [name for name in found if name == "shipyard" or name.startswith("shipyard.")]


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


def test_every_module_is_in_a_part_with_rules():
    assert {part_of(name) for name in modules() if name != "shipyard"} == set(ALLOWED)


def test_imports_run_one_way():
    known = modules()
    crossings = []
    for name, path in sorted(known.items()):
        part = part_of(name)
        allowed = {part, *ALLOWED.get(part, set())}
        if name in OFFLINE:
            allowed.add("shipyard.program")
        for imported in imports(path):
            # `from shipyard.config import naming` names a module, `... import Settings` not.
            target = imported if imported in known else imported.rpartition(".")[0]
            if target in known and part_of(target) not in allowed:
                crossings.append(f"{name} imports {target}")
    assert crossings == []


def test_no_bare_module_names_on_the_program_path():
    # Pulumi puts infra/ on sys.path: nothing there but the entry point, the package, the
    # policy pack, and the name old stack state refers to.
    infra = PACKAGE.parent
    entries = {p.name for p in infra.iterdir() if not p.name.startswith((".", "__pycache__"))}
    entries -= {p.name for p in infra.glob("*.egg-info")}
    assert entries == {"__main__.py", "shipyard", "policy", "shipyard_cli"}
