"""Benchmark the Pulumi program: evaluation time under mocks and modeled rolling-deploy time.

Run: .venv/bin/python benchmarks/program.py   (prints figures; asserts nothing)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "infra")]

from devtools import pulumi_mocks, rollout_model  # noqa: E402 (after the path)

STACKS = ("dev", "staging", "prod", "qa")
RUNS = 5
ASSUMED_START = 30.0  # seconds to pull and start one task; the model keeps it symbolic


def evaluation_times() -> None:
    pulumi_mocks.evaluate("dev")  # imports and first-run costs out of the figures
    print(f"program evaluation under mocks (median of {RUNS}):")
    for stack in STACKS:
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            evaluation = pulumi_mocks.evaluate(stack)
            times.append(time.perf_counter() - started)
        custom = [r for r in evaluation.resources.values() if not r.type.startswith("shipyard:")]
        print(f"  {stack:8} {statistics.median(times) * 1000:7.1f} ms  {len(custom):3} resources")


def rollout_times() -> None:
    print(
        "modeled rolling deploy: T = waves x (start + max(warmup, interval x checks)"
        " + dereg + stop); warmup is 0 on ECS"
    )
    print(
        f"  {'stack':8} {'on':>4} {'waves':>5} {'overhead':>9} {'T(start=30s)':>13} "
        f"{'AWS defaults':>13} {'ratio':>6}"
    )
    for stack in STACKS:
        evaluation = pulumi_mocks.evaluate(stack)
        model = rollout_model.rollout(evaluation)
        defaults = model.with_aws_defaults()
        ours, theirs = model.total(ASSUMED_START), defaults.total(ASSUMED_START)
        print(
            f"  {stack:8} {evaluation.outputs['target']:>4} {model.waves:5} "
            f"{model.overhead():8.0f}s {ours:12.0f}s "
            f"{theirs:12.0f}s {theirs / ours:5.1f}x"
        )
        print(
            f"           = {model.waves} x (start + max(warmup {model.warmup:g}, "
            f"{model.interval:g} x {model.healthy_threshold}) "
            f"+ {model.deregistration_delay:g} + {model.stop_timeout:g}); goal: start + 30 s -> "
            f"{'met' if model.overhead() <= 30 else 'MISSED'}"
        )


STRATEGIES = ("rolling", "blue_green", "canary", "linear")


def strategy_table() -> None:
    """prod under each strategy, with its own timing and with AWS's default health checks."""
    print(
        f"\nprod's service under each strategy, seconds from the start of a deployment "
        f"(start={ASSUMED_START:g}s, ECS shifting weights={rollout_model.ASSUMED_SHIFT:g}s; "
        "see devtools/rollout_model.py):"
    )
    header = (
        f"  {'strategy':11} {'timing':12} {'1st request':>11} {'all requests':>12} "
        f"{'exposed':>8} {'rollback: in bake':>17} {'by alarm':>9} {'after bake':>10}"
    )
    print(header)
    evaluations = {
        strategy: pulumi_mocks.evaluate("prod", overrides={"deploymentStrategy": strategy})
        for strategy in STRATEGIES
    }
    for strategy, evaluation in evaluations.items():
        for defaults in (False, True):
            times = rollout_model.strategy_times(evaluation, ASSUMED_START, defaults=defaults)
            in_bake = (
                "redeploy" if times.rollback_during_bake is None
                else f"{times.rollback_during_bake:.0f}"
            )  # fmt: skip
            print(
                f"  {strategy:11} {'AWS defaults' if defaults else 'prod':12} "
                f"{times.first_request:11.0f} {times.all_requests:12.0f} "
                f"{times.exposed_percent:7.0f}% {in_bake:>17} {times.rollback_by_alarm:9.0f} "
                f"{times.rollback_after_bake:10.0f}"
            )
    shipped = pulumi_mocks.stack_config("prod").get("shipyard:deploymentStrategy", "rolling")
    chosen = rollout_model.strategy_times(evaluations[shipped], ASSUMED_START)
    rolling = rollout_model.strategy_times(evaluations["rolling"], ASSUMED_START)
    assert chosen.rollback_during_bake is not None
    print(
        f"  prod ships {chosen.strategy}: a bad image reaches {chosen.exposed_percent:g}% of "
        f"requests, and `shipyard rollback prod` in the bake puts them back in "
        f"{chosen.rollback_during_bake:.0f} s; rolling's rollback is a redeploy of "
        f"{rolling.rollback_after_bake:.0f} s "
        f"({rolling.rollback_after_bake / chosen.rollback_during_bake:.0f}x)"
    )


if __name__ == "__main__":
    evaluation_times()
    rollout_times()
    strategy_table()
