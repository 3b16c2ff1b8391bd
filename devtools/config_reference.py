"""Render the configuration keys (shipyard/config/keys.py) for Pulumi.yaml and for
docs/settings.md.

Run: .venv/bin/python -m devtools.config_reference write   (updates both)
     .venv/bin/python -m devtools.config_reference yaml|markdown   (prints)
Tests check that Pulumi.yaml and docs/settings.md say what this renders.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from shipyard.config import KEYS, Key
from shipyard.config.stack_files import PulumiYamlLoader, stack_file

REPO_ROOT = Path(__file__).resolve().parent.parent

PULUMI_TYPES = {str: "string", int: "integer", bool: "boolean", list: "array"}
SHIPPED_STACKS = ("dev", "staging", "prod", "qa", "shared")
SETTINGS_PAGE = "docs/settings.md"


def declaration(key: Key) -> dict[str, Any]:
    declared: dict[str, Any] = {"type": PULUMI_TYPES[key.kind], "description": key.description}
    if key.kind is list:
        declared["items"] = {"type": "string"}
    declared["default"] = key.default
    return declared


def pulumi_config_block() -> dict[str, dict[str, Any]]:
    return {key.name: declaration(key) for key in KEYS}


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return json.dumps(value)
    return "(empty)" if value == "" else str(value)


def markdown_table() -> str:
    stacks = {
        name: yaml.load(
            stack_file(REPO_ROOT, name).read_text(), Loader=PulumiYamlLoader
        )["config"]
        for name in SHIPPED_STACKS
    }
    header = "| key | type | default | " + " | ".join(SHIPPED_STACKS) + " | what it does |"
    rule = "|---" * (4 + len(SHIPPED_STACKS)) + "|"
    rows = [header, rule]
    for key in KEYS:
        per_stack = " | ".join(
            f"`{_shown(stacks[name][key.path])}`" if key.path in stacks[name] else ""
            for name in SHIPPED_STACKS
        )
        rows.append(
            f"| `{key.name}` | {PULUMI_TYPES[key.kind]} | `{_shown(key.default)}` | "
            f"{per_stack} | {key.description.replace('|', '/')} |"
        )
    return "\n".join(rows)


def write() -> None:
    project_file = REPO_ROOT / "Pulumi.yaml"
    project_text = project_file.read_text()
    head = (
        project_text[: project_text.index("config:\n")]
        if "config:\n" in project_text
        else (project_text)
    )
    config = yaml.safe_dump({"config": pulumi_config_block()}, sort_keys=False, width=100)
    project_file.write_text(head + config)
    reference = REPO_ROOT / SETTINGS_PAGE
    lines = reference.read_text().split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("| key | type | default |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    lines[start:end] = markdown_table().split("\n")
    reference.write_text("\n".join(lines))


def main(argv: list[str]) -> int:
    if argv == ["write"]:
        write()
        return 0
    if argv == ["yaml"]:
        print(yaml.safe_dump({"config": pulumi_config_block()}, sort_keys=False, width=100))
        return 0
    if argv == ["markdown"]:
        print(markdown_table())
        return 0
    print("usage: python -m devtools.config_reference write|yaml|markdown", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
