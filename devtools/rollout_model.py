"""A model of how long one rolling deploy takes, computed from a stack's resource inputs.

T = waves x (start + interval x healthy checks + deregistration delay + stop timeout)

For an EC2 instance refresh a new instance also has to finish its warmup before the refresh
moves on, so the wait for health is max(warmup, interval x healthy checks).

`start` (pulling the image and starting the process) depends on the image and the host, not
on the stack, so the model keeps it as a parameter and reports the rest as overhead.
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from devtools.pulumi_mocks import Evaluation
from shipyard.program.components.ec2_service import (
    refresh_waves,  # the program's own (infra/ on sys.path)
)
from shipyard.program.strategies import shifting_minutes

AWS_DEFAULT_INTERVAL = 30
AWS_DEFAULT_HEALTHY_THRESHOLD = 5
AWS_DEFAULT_DEREGISTRATION_DELAY = 300
AWS_DEFAULT_STOP_TIMEOUT = 30
# An instance refresh's warmup defaults to the group's health check grace period, 300 s.
AWS_DEFAULT_INSTANCE_WARMUP = 300


@dataclass(frozen=True)
class Rollout:
    waves: int
    interval: float
    healthy_threshold: int
    deregistration_delay: float
    stop_timeout: float
    warmup: float = 0
    # Seconds an instance refresh waits at its checkpoints (EC2 canary and linear).
    held: float = 0

    def overhead(self) -> float:
        """Seconds per wave beyond starting the task or instance, times the waves, plus the
        waits at checkpoints."""
        healthy_after = max(self.warmup, self.interval * self.healthy_threshold)
        per_wave = healthy_after + self.deregistration_delay + self.stop_timeout
        return self.waves * per_wave + self.held

    def total(self, start: float) -> float:
        return self.waves * start + self.overhead()

    def with_aws_defaults(self) -> Rollout:
        return Rollout(
            self.waves,
            AWS_DEFAULT_INTERVAL,
            AWS_DEFAULT_HEALTHY_THRESHOLD,
            AWS_DEFAULT_DEREGISTRATION_DELAY,
            AWS_DEFAULT_STOP_TIMEOUT,
            AWS_DEFAULT_INSTANCE_WARMUP if self.warmup else 0,
            self.held,
        )


def ecs_waves(desired: int, maximum_percent: int) -> int:
    """ECS starts up to (maximum - 100)% of desired extra tasks at a time, at least one."""
    extra_per_wave = max(1, math.floor(desired * (maximum_percent - 100) / 100))
    return max(1, math.ceil(desired / extra_per_wave))


def ecs_rollout(evaluation: Evaluation) -> Rollout:
    service = evaluation.one("aws:ecs/service:Service").inputs
    (container,) = json.loads(
        evaluation.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"]
    )
    interval, threshold, deregistration = _health_check_timing(evaluation)
    return Rollout(
        waves=ecs_waves(int(service["desiredCount"]), int(service["deploymentMaximumPercent"])),
        interval=interval,
        healthy_threshold=threshold,
        deregistration_delay=deregistration,
        stop_timeout=container["stopTimeout"],
    )


def _health_check_timing(evaluation: Evaluation) -> tuple[float, int, float]:
    # Blue/green, canary and linear have a second group, set up the same.
    group = evaluation.of_type("aws:lb/targetGroup:TargetGroup")[0].inputs
    check = group["healthCheck"]
    return check["interval"], int(check["healthyThreshold"]), group["deregistrationDelay"]


def ec2_rollout(evaluation: Evaluation) -> Rollout:
    group = evaluation.one("aws:autoscaling/group:Group").inputs
    user_data = base64.b64decode(
        evaluation.one("aws:ec2/launchTemplate:LaunchTemplate").inputs["userData"]
    ).decode()
    stop_flag = re.search(r"--stop-timeout (\d+)", user_data)
    if stop_flag is None:
        raise ValueError("the boot script runs the container without --stop-timeout")
    stop_timeout = float(stop_flag.group(1))
    # The rollout step starts the refresh with these (shipyard/program/components/ec2_service.py).
    preferences = evaluation.one(
        "pulumi-python:dynamic/shipyard:InstanceRefreshWait"
    ).inputs["preferences"]
    interval, threshold, deregistration = _health_check_timing(evaluation)
    waves = refresh_waves(
        int(group["desiredCapacity"]),
        int(preferences["MinHealthyPercentage"]),
        int(preferences["MaxHealthyPercentage"]),
    )
    checkpoints = preferences.get("CheckpointPercentages") or []
    return Rollout(
        # A checkpoint ends a wave, and the refresh waits there before the next.
        waves=max(waves, len(checkpoints)),
        interval=interval,
        healthy_threshold=threshold,
        deregistration_delay=deregistration,
        stop_timeout=stop_timeout,
        warmup=float(preferences["InstanceWarmup"]),
        held=max(0, len(checkpoints) - 1) * float(preferences.get("CheckpointDelay") or 0),
    )


def rollout(evaluation: Evaluation) -> Rollout:
    """The model for whichever target the evaluated stack runs on."""
    return (
        ec2_rollout(evaluation)
        if evaluation.outputs["target"] == "ec2"
        else ecs_rollout(evaluation)
    )


# ---- deployment strategies --------------------------------------------------------------
#
# ECS's blue/green, canary and linear start every new task at once (the green revision at
# full size beside the blue one), then move production traffic by listener-rule weights:
#   first request on the new image  = start + interval x checks + shift
#   all of them                     = first + canary bake            (canary)
#                                   = first + (steps - 1) x step bake (linear)
#                                   = first                           (blue/green)
#   rollback while it bakes         = shift (weights go back; the old tasks still run)
#   rollback by an alarm            = alarm periods x period + shift
#   rollback after the bake         = a new deployment of the old image, same strategy
# Rolling replaces tasks in waves, so its first request comes after one wave's health check
# and every rollback is a redeploy. `shift` (ECS changing a rule's weights) is a parameter
# like `start`: seconds, set by AWS, not by the stack.

ASSUMED_SHIFT = 5.0


@dataclass(frozen=True)
class StrategyTimes:
    strategy: str
    first_request: float  # from the start of the deployment, seconds
    all_requests: float
    rollback_during_bake: float | None  # None: nothing bakes, a rollback is a redeploy
    rollback_by_alarm: float
    rollback_after_bake: float
    exposed_percent: float  # of requests the new image takes until the rest follows


def _strategy_settings(evaluation: Evaluation) -> dict[str, Any]:
    service = evaluation.one("aws:ecs/service:Service").inputs
    return dict(service.get("deploymentConfiguration") or {"strategy": "ROLLING"})


def _alarm_seconds(evaluation: Evaluation) -> float:
    """How long the slowest deployment alarm takes to fire once errors start."""
    return max(
        alarm.inputs["evaluationPeriods"] * alarm.inputs["period"]
        for alarm in evaluation.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if alarm.inputs["metricName"] != "CPUUtilization"
    )


def strategy_times(
    evaluation: Evaluation, start: float, shift: float = ASSUMED_SHIFT, defaults: bool = False
) -> StrategyTimes:
    """The ECS stack's strategy in seconds (with AWS's health check timing if `defaults`)."""
    model = ecs_rollout(evaluation)
    if defaults:
        model = model.with_aws_defaults()
    configuration = _strategy_settings(evaluation)
    strategy = configuration["strategy"].lower()
    healthy = start + model.interval * model.healthy_threshold
    alarm = _alarm_seconds(evaluation)
    if strategy == "rolling":
        drain = model.deregistration_delay + model.stop_timeout
        all_requests = model.waves * healthy + (model.waves - 1) * drain
        redeploy = model.total(start)
        return StrategyTimes(strategy, healthy, all_requests, None, alarm + redeploy, redeploy,
                             100.0)  # fmt: skip
    first = healthy + shift
    canary = configuration.get("canaryConfiguration") or {}
    linear = configuration.get("linearConfiguration") or {}
    exposed = float(canary.get("canaryPercent") or linear.get("stepPercent") or 100)
    held = 60 * shifting_minutes(
        strategy,
        float(canary.get("canaryBakeTimeInMinutes") or 0),
        int(float(linear.get("stepPercent") or 100)),
        float(linear.get("stepBakeTimeInMinutes") or 0),
    )
    all_requests = first + held
    return StrategyTimes(strategy, first, all_requests, shift, alarm + shift, all_requests,
                         exposed)  # fmt: skip

