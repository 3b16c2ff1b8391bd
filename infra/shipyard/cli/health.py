"""Is an environment healthy, and waiting until it is, for either compute target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from shipyard.aws import Aws
from shipyard.cli.deployments import shifts_traffic
from shipyard.errors import UNHEALTHY, UserError


@dataclass
class HealthReport:
    healthy: bool
    rows: list[tuple[str, str]] = field(default_factory=list)  # (what, state)
    # The ECS service or Auto Scaling group as described for this report.
    compute: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return "; ".join(f"{what}: {state}" for what, state in self.rows)


Rows = list[tuple[str, str]]


def _ecs_rows(aws: Aws, outputs: dict[str, Any]) -> tuple[bool, Rows, dict[str, Any]]:
    service = aws.ecs_service(outputs["clusterName"], outputs["serviceName"])
    desired, running = service.get("desiredCount", 0), service.get("runningCount", 0)
    deployments = service.get("deployments", [])
    primary: dict[str, Any] = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    rollout = primary.get("rolloutState", "UNKNOWN")
    ok = running == desired and len(deployments) == 1 and rollout in ("COMPLETED", "UNKNOWN")
    rows = [
        ("tasks (running/desired)", f"{running}/{desired}"),
        ("last deployment", f"{rollout} {primary.get('rolloutStateReason', '')}".strip()),
    ]
    return ok, rows, service


def _ec2_rows(aws: Aws, outputs: dict[str, Any]) -> tuple[bool, Rows, dict[str, Any]]:
    group = aws.auto_scaling_group(outputs["autoScalingGroupName"])
    desired = group.get("DesiredCapacity", 0)
    in_service = sum(
        1 for i in group.get("Instances", []) if i.get("LifecycleState") == "InService"
    )
    refresh = aws.latest_instance_refresh(outputs["autoScalingGroupName"])
    refresh_state = refresh["Status"] if refresh else "none"
    ok = in_service == desired and refresh_state in ("Successful", "none")
    rows = [
        ("instances (in service/desired)", f"{in_service}/{desired}"),
        (
            "last instance refresh",
            f"{refresh_state} {(refresh or {}).get('StatusReason', '')}".strip(),
        ),
    ]
    return ok, rows, group


def check(aws: Aws, outputs: dict[str, Any]) -> HealthReport:
    describe = _ec2_rows if outputs.get("target") == "ec2" else _ecs_rows
    compute_ok, rows, compute = describe(aws, outputs)
    targets = aws.target_health(outputs["targetGroupArn"])
    resting: tuple[str, ...] = ()
    if outputs.get("alternateTargetGroupArn"):
        # ECS moves traffic between two groups: the tasks are in either, and the group not
        # serving holds none, or the previous revision's while they drain.
        targets += aws.target_health(outputs["alternateTargetGroupArn"])
        resting = ("unused", "draining")
    unhealthy = [t for t in targets if t.state not in ("healthy", *resting)]
    targets = [t for t in targets if t.state not in resting]
    rows.append(
        (
            "targets (healthy/all)",
            f"{len(targets) - len(unhealthy)}/{len(targets)}"
            + "".join(f"; {t.target} {t.state} {t.reason}".rstrip() for t in unhealthy),
        )
    )
    firing = aws.alarms_firing(list(outputs.get("alarmNames", [])))
    rows.append(("alarms in ALARM", ", ".join(firing) or "none"))
    healthy = compute_ok and bool(targets) and not unhealthy and not firing
    return HealthReport(healthy, rows, compute)


def digest_of(image: str) -> str:
    return image.rsplit("@", 1)[-1] if "@" in image else image


def release_agreement(
    aws: Aws, outputs: dict[str, Any], compute: dict[str, Any]
) -> tuple[bool, Rows]:
    """Do the release record (what the environment should run), the stack (what Pulumi last
    deployed) and AWS (what the service or group runs) name the same digest? `compute` is the
    service or group as `check` described it."""
    deployed = digest_of(outputs.get("image", ""))
    record = (
        aws.release_record(outputs["releaseParameter"]) if outputs.get("releaseParameter") else None
    )
    if outputs.get("target") == "ec2":
        running = digest_of(aws.ec2_configured_image(compute))
        where = "launch template (EC2)"
    else:
        running = digest_of(aws.ecs_running_image(compute))
        where = "task definition (ECS)"
    rows = [("release record", record or "none"), (f"running: {where}", running)]
    differ = [
        f"{what} says {digest[:19]}"
        for what, digest in (("the release record", record), (where, running))
        if digest and digest != deployed
    ]
    if record is None:
        differ.append("the release record is missing")
    if differ:
        rows.append(
            (
                "agree",
                f"no: the stack deployed {deployed[:19]} but {', '.join(differ)}; "
                "`pulumi up --refresh` shows what changed outside Pulumi",
            )
        )
    else:
        rows.append(("agree", "yes"))
    return not differ, rows


def wait_healthy(
    aws: Aws, outputs: dict[str, Any], timeout: float, delay: float, console: Console
) -> HealthReport:
    """Wait for the rollout, then for every target; raise UserError(UNHEALTHY) with the state.

    Blue/green, canary, linear: ECS's service deployment was judged already (deployments.py),
    and ended with the new revision's tasks healthy in the group taking traffic.
    """
    if shifts_traffic(outputs):
        report = check(aws, outputs)
        if not report.healthy:
            raise UserError(f"deployed but not healthy. State now: {report.describe()}", UNHEALTHY)
        return report
    try:
        with console.status("waiting for the rollout to finish...") as status:
            if outputs.get("target") == "ec2":
                aws.wait_instance_refresh(outputs["autoScalingGroupName"], timeout, delay)
            else:
                aws.wait_ecs_stable(outputs["clusterName"], outputs["serviceName"], timeout, delay)
            status.update("waiting for the load balancer's targets to be healthy...")
            aws.wait_targets_healthy(outputs["targetGroupArn"], timeout, delay)
    except UserError as error:
        if error.exit_code != UNHEALTHY:
            raise
        report = check(aws, outputs)
        raise UserError(
            f"{error} after {timeout:g} s. State now: {report.describe()}", UNHEALTHY
        ) from error
    report = check(aws, outputs)
    if not report.healthy:
        raise UserError(f"rolled out but not healthy. State now: {report.describe()}", UNHEALTHY)
    return report
