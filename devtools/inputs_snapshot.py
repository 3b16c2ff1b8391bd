"""Every shipped stack's evaluated resources (inputs and options), outputs and lookups, under
the mocks: written before a refactor and compared after it (docs/architecture.md).

Run: .venv/bin/python -m devtools.inputs_snapshot write FILE
     .venv/bin/python -m devtools.inputs_snapshot compare FILE   (exit 1 on a difference)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from devtools import pulumi_mocks
from shipyard.cli.project import CHECKOUT_DIR


def snapshot() -> dict[str, Any]:
    stacks = sorted(
        path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for path in (CHECKOUT_DIR / "stacks").glob("Pulumi.*.yaml")
    )
    taken: dict[str, Any] = {}
    for stack in stacks:
        evaluation = pulumi_mocks.evaluate(stack)
        resources = {}
        for (kind, name), record in sorted(evaluation.resources.items()):
            fields = dict(vars(record))
            # Recorded in the order the SDK resolves them: the set is what counts.
            fields["dependencies"] = sorted(map(str, fields.get("dependencies") or []))
            resources[f"{kind}::{name}"] = fields
        # Lookups run concurrently: which ones, not their order.
        calls = sorted(evaluation.calls, key=lambda call: json.dumps(call, sort_keys=True))
        taken[stack] = {"resources": resources, "outputs": evaluation.outputs, "calls": calls}
    # Through JSON, so a written snapshot and a fresh one compare alike.
    loaded: dict[str, Any] = json.loads(json.dumps(taken, sort_keys=True, default=repr))
    return loaded


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    found = []
    for stack in sorted(before.keys() | after.keys()):
        old, new = before.get(stack, {}), after.get(stack, {})
        old_resources, new_resources = old.get("resources", {}), new.get("resources", {})
        for key in sorted(old_resources.keys() ^ new_resources.keys()):
            found.append(f"{stack}: {key} {'gone' if key in old_resources else 'new'}")
        for key in sorted(old_resources.keys() & new_resources.keys()):
            was, now = old_resources[key], new_resources[key]
            changed = sorted(f for f in was.keys() | now.keys() if was.get(f) != now.get(f))
            if "inputs" in changed:
                inputs = sorted(
                    name for name in was["inputs"].keys() | now["inputs"].keys()
                    if was["inputs"].get(name) != now["inputs"].get(name)
                )  # fmt: skip
                changed = [f for f in changed if f != "inputs"] + [f"inputs.{i}" for i in inputs]
            if changed:
                found.append(f"{stack}: {key} {', '.join(changed)}")
        for part in ("outputs", "calls"):
            if old.get(part) != new.get(part):
                found.append(f"{stack}: {part} differ")
    return found


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "write":
        Path(argv[1]).write_text(json.dumps(snapshot(), indent=1, sort_keys=True))
        return 0
    if len(argv) == 2 and argv[0] == "compare":
        found = differences(json.loads(Path(argv[1]).read_text()), snapshot())
        print("\n".join(found) or "no difference")
        return 1 if found else 0
    print("usage: python -m devtools.inputs_snapshot write|compare FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
