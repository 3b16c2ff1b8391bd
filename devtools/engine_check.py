"""scripts/engine-check: each stack through the real engine against the local cloud:
`pulumi preview`, `up`, a second `up` that must change nothing, and `destroy` (refused for
what a stack protects, which counts as passing when the engine says so). One line per step
with its time; exit 0 only when every step passed.

A moto server on 127.0.0.1 answers what calls AWS itself: the EC2 stacks' rollout step (a
dynamic provider), which finds the group the local cloud mirrored there.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from devtools.aws_world import moto_server
from devtools.engine import ROOT, Engine, pulumi_cli
from shipyard_cli.stack_files import stack_names

SERVICE_FIRST = ("shared", "dev", "staging", "prod", "qa")


def _changes(result: Any) -> dict[str, int]:
    if isinstance(result, auto.PreviewResult):
        return {str(getattr(op, "value", op)): count for op, count in result.change_summary.items()}
    return dict(result.summary.resource_changes or {})


def check(engine: Engine, stack: str, say: Callable[[str], None]) -> bool:
    deployed = engine.stack(stack)
    steps: list[tuple[str, Callable[[], Any], Callable[[dict[str, int]], bool]]] = [
        ("preview", deployed.preview, lambda c: "create" in c),
        ("up", deployed.up, lambda c: "create" in c),
        ("up again", deployed.up, lambda c: set(c) == {"same"}),
        ("destroy", deployed.destroy, lambda c: set(c) == {"delete"}),
    ]
    for name, step, passed in steps:
        started = time.monotonic()
        try:
            changes = _changes(step())
            ok, detail = passed(changes), str(changes)
        except auto.CommandError as error:
            protected = name == "destroy" and "protected" in str(error)
            ok, detail = protected, ("refused: it protects resources" if protected else
                                     str(error).strip().splitlines()[-1])  # fmt: skip
        say(f"{stack:8} {name:9} {'ok' if ok else 'FAILED':6} {time.monotonic() - started:5.1f} s"
            f"  {detail}")  # fmt: skip
        if not ok:
            return False
    return True


def main(requested: list[str]) -> int:
    cli = pulumi_cli()
    if cli is None:
        print("error: no Pulumi CLI; run scripts/build-engine (needs Go) or install Pulumi",
              file=sys.stderr)  # fmt: skip
        return 2
    known = stack_names(ROOT)
    unknown = sorted(set(requested) - set(known))
    if unknown:
        print(f"error: no stack file for {', '.join(unknown)}; stacks: {', '.join(known)}",
              file=sys.stderr)  # fmt: skip
        return 2
    stacks = requested or [s for s in SERVICE_FIRST if s in known] + sorted(
        set(known) - set(SERVICE_FIRST)
    )
    os.environ.setdefault("SHIPYARD_COMMIT", "0" * 40)
    os.environ.setdefault("SHIPYARD_VERSION", "engine-check")
    with tempfile.TemporaryDirectory(prefix="engine-check-") as folder, moto_server() as aws:
        engine = Engine.in_folder(cli, Path(folder), aws)
        os.environ.update(engine.env)
        print(f"pulumi {engine.run('version').stdout.strip()} on a file backend in {folder}")
        results = [check(engine, stack, print) for stack in stacks]
    print(f"{sum(results)} of {len(results)} stacks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
