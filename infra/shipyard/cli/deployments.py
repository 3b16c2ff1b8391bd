"""Following an ECS service deployment by ECS's own record of it: its lifecycle stage, the
share of production traffic on the new revision (blue/green, canary, linear), and how it
ended. SUCCESSFUL is the only success; every ROLLBACK_* or STOPPED outcome is a failure that
names why (an alarm, the circuit breaker, `shipyard rollback`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from shipyard.aws import Aws
from shipyard.cli.model import ecs_moves_traffic
from shipyard.errors import UNHEALTHY, UserError

TERMINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")
# A deployment that `shipyard rollback` can still stop: its previous revision still runs.
STOPPABLE = ["PENDING", "IN_PROGRESS"]


def shifts_traffic(outputs: dict[str, Any]) -> bool:
    """Does ECS move traffic between two target groups for this environment, as the stack
    last deployed it?"""
    strategy = outputs.get("deploymentStrategy") or "rolling"
    return ecs_moves_traffic(outputs.get("target", "ecs"), strategy)


def describe(deployment: dict[str, Any]) -> str:
    """One line: status, lifecycle stage and the production traffic on the new revision."""
    parts = [deployment.get("status", "UNKNOWN")]
    if deployment.get("lifecycleStage"):
        parts.append(f"stage {deployment['lifecycleStage']}")
    target = deployment.get("targetServiceRevision") or {}
    if "requestedProductionTrafficWeight" in target:
        parts.append(f"{target['requestedProductionTrafficWeight']:g}% of production traffic new")
    if "runningTaskCount" in target:
        parts.append(
            f"new tasks {target['runningTaskCount']}/{target.get('requestedTaskCount', 0)}"
        )
    return ", ".join(parts)


def why(deployment: dict[str, Any]) -> str:
    """What ended it: the rollback's reason, the alarms that fired, the circuit breaker."""
    reasons = [
        text
        for text in (
            (deployment.get("rollback") or {}).get("reason"),
            deployment.get("statusReason"),
        )
        if text
    ]
    triggered = (deployment.get("alarms") or {}).get("triggeredAlarmNames") or []
    if triggered:
        reasons.append(f"alarm(s) in ALARM: {', '.join(triggered)}")
    breaker = deployment.get("deploymentCircuitBreaker") or {}
    if breaker.get("status") == "TRIGGERED":
        reasons.append(f"the circuit breaker counted {breaker.get('failureCount')} failed tasks")
    return "; ".join(dict.fromkeys(reasons)) or "ECS gave no reason"


def require_successful(deployment: dict[str, Any], env: str) -> None:
    status = deployment.get("status")
    if status == "SUCCESSFUL":
        return
    if status == "ROLLBACK_SUCCESSFUL":
        happened = "was rolled back: traffic is on the previous revision again"
    elif status == "ROLLBACK_FAILED":
        happened = "failed, and so did its rollback: check `shipyard status` at once"
    elif status == "STOPPED":
        happened = "was stopped"
    else:
        happened = f"did not finish ({status})"
    raise UserError(
        f"ECS's deployment of {env} {happened}. Why: {why(deployment)}", exit_code=UNHEALTHY
    )


@dataclass(frozen=True)
class Baseline:
    """The service's newest deployment before an update (None: it had none). The update's
    own deployment is any newer one: compared by ARN, not by clock, so a local clock ahead
    of AWS's cannot hide it."""

    arn: str | None


def _newest_brief(aws: Aws, outputs: dict[str, Any]) -> dict[str, Any] | None:
    briefs = aws.service_deployments(outputs["clusterName"], outputs["serviceName"])
    return briefs[0] if briefs else None


def baseline(aws: Aws, outputs: dict[str, Any]) -> Baseline:
    brief = _newest_brief(aws, outputs)
    return Baseline(brief["serviceDeploymentArn"] if brief else None)


def latest(
    aws: Aws, outputs: dict[str, Any], after: Baseline | None = None
) -> dict[str, Any] | None:
    """The service's newest deployment (only if newer than `after`), described."""
    brief = _newest_brief(aws, outputs)
    if brief is None or (after is not None and brief["serviceDeploymentArn"] == after.arn):
        return None
    return aws.service_deployment(brief["serviceDeploymentArn"])


def follow(
    aws: Aws, arn: str, console: Console, timeout: float, poll: float
) -> dict[str, Any]:
    """Print each change of stage and traffic until the deployment ends; return it."""
    deadline = time.monotonic() + timeout
    shown = ""
    while True:
        deployment = aws.service_deployment(arn)
        line = describe(deployment)
        if line != shown:
            console.print(f"  ECS: {line}", highlight=False)
            shown = line
        if deployment.get("status") in TERMINAL:
            return deployment
        if time.monotonic() > deadline:
            raise UserError(
                f"gave up following ECS service deployment {arn} after {timeout:g} s: {line}",
                exit_code=UNHEALTHY,
            )
        time.sleep(poll)


@contextmanager
def watching(
    aws: Aws, outputs: dict[str, Any], after: Baseline, console: Console, poll: float
) -> Iterator[None]:
    """While `pulumi up` waits for ECS (the provider waits out the bake), print the stage and
    the traffic split of the deployment it started, as they move."""
    done = threading.Event()

    def watch() -> None:
        shown = ""
        while not done.wait(poll):
            try:
                deployment = latest(aws, outputs, after)
            except UserError:
                continue  # the engine reports failures; this only shows progress
            if deployment is None:
                continue
            line = describe(deployment)
            if line != shown:
                console.print(f"  ECS: {line}", highlight=False)
                shown = line

    watcher = threading.Thread(target=watch, name="ecs-deployment-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join(timeout=5 * poll + 1)
