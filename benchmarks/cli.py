"""Benchmark the shipyard CLI: start-up time, and what a rollback builds and changes.

Run: .venv/bin/python benchmarks/cli.py   (prints figures; asserts nothing)
The rollback runs against moto on 127.0.0.1 and the fake adapter, whose preview plans are
computed from the real program under Pulumi mocks.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "infra")]

from rich.console import Console  # noqa: E402

from devtools.aws_world import REPOSITORY, World, moto_server  # noqa: E402
from devtools.fake_stacks import FakeStacks  # noqa: E402
from shipyard.cli import summary  # noqa: E402
from shipyard.cli.main import main  # noqa: E402
from shipyard.cli.runtime import Runtime  # noqa: E402

RUNS = 10


def median_seconds(command: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def startup() -> None:
    shipyard = str(Path(sys.executable).parent / "shipyard")
    interpreter = median_seconds([sys.executable, "-c", "pass"])
    help_time = median_seconds([shipyard, "--help"])
    print(f"start-up (median of {RUNS}):")
    print(f"  python -c pass        {interpreter * 1000:7.1f} ms")
    ratio = help_time / interpreter
    print(f"  shipyard --help       {help_time * 1000:7.1f} ms  (x{ratio:.1f} of bare Python)")


def timed_rollback(world: World, stacks: FakeStacks) -> tuple[int, float]:
    """`shipyard rollback prod --yes`, answered yes; its exit code and wall time."""
    runtime = Runtime(
        stacks=stacks,
        aws_for_region=lambda region: world.aws,
        console=Console(file=io.StringIO()),
        confirm=lambda question: True,
        timeout=5,
        poll=0.05,
    )
    started = time.perf_counter()
    code = main(["rollback", "prod", "--yes"], rt=runtime)
    return code, time.perf_counter() - started


def rollback() -> None:
    with moto_server() as endpoint:
        world = World(endpoint)
        stacks = FakeStacks(world)
        stacks.add("prod", world.ecs_environment("prod"))
        stacks.envs["prod"].config["shipyard:deploymentStrategy"] = "rolling"
        # prod deploys released images only: what the pipeline does for two commits.
        for commit in ("1" * 40, "2" * 40):
            stacks.deploy_release("prod", commit)
        world.tasks_running()
        world.targets("healthy")
        images_before = len(world.aws.images(REPOSITORY))
        plans: list = []
        original_preview = stacks.preview

        def recording_preview(env: str):
            plan = original_preview(env)
            plans.append(plan)
            return plan

        stacks.preview = recording_preview  # type: ignore[method-assign]
        code, elapsed = timed_rollback(world, stacks)
        images_after = len(world.aws.images(REPOSITORY))
    (plan,) = plans
    print("rollback of prod (rolling) to its previous release (moto + fake adapter):")
    print(f"  exit code             {code}")
    print(
        f"  images built          {summary.images_built(plan.steps)} "
        f"(ECR images before/after: {images_before}/{images_after})"
    )
    print(f"  resources it changes  {len([s for s in plan.steps if s.op != 'same'])}:")
    for step in plan.steps:
        print(f"    {step.op:8} {step.type}  {step.name}")
    print(f"  wall time             {elapsed:.2f} s (the preview evaluates the program twice)")


def instant_rollback() -> None:
    """prod on canary, rolled back while its deployment bakes. ECS's own time to move the
    weights back is scripted as 0 here: the figure is what shipyard adds to it."""
    with moto_server() as endpoint:
        world = World(endpoint)
        stacks = FakeStacks(world)
        outputs = world.ecs_environment("prod", strategy="canary")
        stacks.add("prod", outputs)
        world.service_deployment(outputs, [("SUCCESSFUL", "CLEAN_UP", 100)], "x")
        digests = [stacks.deploy_release("prod", commit) for commit in ("1" * 40, "2" * 40)]
        previous = f"{outputs['repositoryUrl']}@{digests[0]}"
        stops = world.service_deployment(
            outputs, [("IN_PROGRESS", "BAKE_TIME", 100)], previous, step=0.0
        )
        images_before = len(world.aws.images(REPOSITORY))
        calls_before = len(stacks.calls)
        code, elapsed = timed_rollback(world, stacks)
        images_after = len(world.aws.images(REPOSITORY))
        engine_calls = [c[0] for c in stacks.calls[calls_before:] if c[0] in ("preview", "up")]
    print("instant rollback of prod (canary) while its deployment bakes (moto + fake adapter):")
    print(f"  exit code             {code}")
    print(f"  StopServiceDeployment {[stop['stopType'] for stop in stops]}")
    print(f"  previews and updates  {len(engine_calls)}")
    print(f"  images built          {images_after - images_before}")
    print(
        f"  wall time             {elapsed:.2f} s plus ECS moving the weights back (the "
        "model assumes 5 s); the rollback above is a whole deployment on top of its own"
    )


if __name__ == "__main__":
    startup()
    rollback()
    instant_rollback()
