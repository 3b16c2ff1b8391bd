"""scripts/engine-check: each stack through the real engine against the local cloud:
`pulumi preview`, `up` and a second `up` that must change nothing, in order (the service
stack first); then `destroy`, in reverse order (refused for what a stack protects, which
counts as passing when the engine says so). One line per step
with its time; exit 0 only when every step passed.

A moto server on 127.0.0.1 is the account: the local cloud keeps there what other stacks
and later updates look up (devtools/moto_account.py), and the EC2 stacks' rollout step (a
dynamic provider) finds its group there. Before a stack's first preview the account gets
what a user provides before a first deploy: the hosted zone a stack's domain lives in, and
for a stack that deploys only released images, a pin (`shipyard deploy ENV --image`).
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
from shipyard.cli.model import IMAGE_DIGEST_KEY
from shipyard.config.stack_files import environment_names, stack_names


def _changes(result: Any) -> dict[str, int]:
    if isinstance(result, auto.PreviewResult):
        return {str(getattr(op, "value", op)): count for op, count in result.change_summary.items()}
    return dict(result.summary.resource_changes or {})


def _last_words(error: str) -> str:
    """The lines of a failed command that say why: its errors, else its last line."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    said = [line for line in lines if "error" in line.lower()]
    return " | ".join(said[-3:] or lines[-1:])


Step = tuple[str, Callable[[], Any], Callable[[dict[str, int]], bool]]


def _run(stack: str, steps: list[Step], say: Callable[[str], None]) -> bool:
    for name, step, passed in steps:
        started = time.monotonic()
        try:
            changes = _changes(step())
            ok, detail = passed(changes), str(changes)
        except auto.CommandError as error:
            protected = name == "destroy" and "protected" in str(error)
            ok, detail = protected, ("refused: it protects resources" if protected else
                                     _last_words(str(error)))  # fmt: skip
        say(f"{stack:8} {name:9} {'ok' if ok else 'FAILED':6} {time.monotonic() - started:5.1f} s"
            f"  {detail}")  # fmt: skip
        if not ok:
            return False
    return True


def deploy(engine: Engine, stack: str, say: Callable[[str], None]) -> bool:
    """preview, up, and an up that must change nothing."""
    deployed = engine.stack(stack)
    pinned = engine.prepare_first_deploy(stack)

    def up_again() -> Any:
        # As `shipyard deploy --image` leaves a release stack: its pin lasts one update,
        # and the release record that update wrote holds the image from then on.
        if pinned:
            deployed.remove_config(IMAGE_DIGEST_KEY)
        return deployed.up()

    return _run(stack, [
        ("preview", deployed.preview, lambda c: "create" in c),
        ("up", deployed.up, lambda c: "create" in c),
        ("up again", up_again, lambda c: set(c) == {"same"}),
    ], say)  # fmt: skip


def destroy(engine: Engine, stack: str, say: Callable[[str], None]) -> bool:
    """destroy, refused for what the stack protects (which passes when the engine says so)."""
    return _run(
        stack, [("destroy", engine.stack(stack).destroy, lambda c: set(c) == {"delete"})], say
    )


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
    # An environment uses what the service stack makes: it goes first, asked for or not.
    service = sorted(set(known) - set(environment_names(ROOT)))
    stacks = service + [s for s in requested or known if s not in service]
    os.environ.setdefault("SHIPYARD_COMMIT", "0" * 40)
    os.environ.setdefault("SHIPYARD_VERSION", "engine-check")
    with tempfile.TemporaryDirectory(prefix="engine-check-") as folder, moto_server() as aws:
        engine = Engine.in_folder(cli, Path(folder), aws)
        os.environ.update(engine.env)
        print(f"pulumi {engine.run('version').stdout.strip()} on a file backend in {folder}")
        deployed = {stack: deploy(engine, stack, print) for stack in stacks}
        # Environments before the service stack, whose repository and keys they use.
        passed = [
            destroy(engine, stack, print) and deployed[stack]
            for stack in reversed(stacks) if deployed[stack]
        ]  # fmt: skip
    print(f"{sum(passed)} of {len(stacks)} stacks passed")
    return 0 if sum(passed) == len(stacks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
