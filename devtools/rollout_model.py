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

from components.ec2_service import refresh_waves  # the program's own (infra/ on sys.path)
from devtools.pulumi_mocks import Evaluation

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

    def overhead(self) -> float:
        """Seconds per wave beyond starting the task or instance, times the waves."""
        healthy_after = max(self.warmup, self.interval * self.healthy_threshold)
        return self.waves * (healthy_after + self.deregistration_delay + self.stop_timeout)

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
    group = evaluation.one("aws:lb/targetGroup:TargetGroup").inputs
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
    preferences = group["instanceRefresh"]["preferences"]
    interval, threshold, deregistration = _health_check_timing(evaluation)
    return Rollout(
        waves=refresh_waves(
            int(group["desiredCapacity"]),
            int(preferences["minHealthyPercentage"]),
            int(preferences["maxHealthyPercentage"]),
        ),
        interval=interval,
        healthy_threshold=threshold,
        deregistration_delay=deregistration,
        stop_timeout=stop_timeout,
        warmup=float(preferences["instanceWarmup"]),
    )


def rollout(evaluation: Evaluation) -> Rollout:
    """The model for whichever target the evaluated stack runs on."""
    return (
        ec2_rollout(evaluation)
        if evaluation.outputs["target"] == "ec2"
        else ecs_rollout(evaluation)
    )
