"""A model of how long one rolling deploy takes, computed from a stack's resource inputs.

T = waves x (start + interval x healthy checks + deregistration delay + stop timeout)

`start` (pulling the image and starting the process) depends on the image and the host, not
on the stack, so the model keeps it as a parameter and reports the rest as overhead.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from devtools.pulumi_mocks import Evaluation

AWS_DEFAULT_INTERVAL = 30
AWS_DEFAULT_HEALTHY_THRESHOLD = 5
AWS_DEFAULT_DEREGISTRATION_DELAY = 300
AWS_DEFAULT_STOP_TIMEOUT = 30


@dataclass(frozen=True)
class Rollout:
    waves: int
    interval: float
    healthy_threshold: int
    deregistration_delay: float
    stop_timeout: float

    def overhead(self) -> float:
        """Seconds per wave beyond starting the task, times the waves."""
        per_wave = (
            self.interval * self.healthy_threshold + self.deregistration_delay + self.stop_timeout
        )
        return self.waves * per_wave

    def total(self, start: float) -> float:
        return self.waves * start + self.overhead()

    def with_aws_defaults(self) -> Rollout:
        return Rollout(
            self.waves,
            AWS_DEFAULT_INTERVAL,
            AWS_DEFAULT_HEALTHY_THRESHOLD,
            AWS_DEFAULT_DEREGISTRATION_DELAY,
            AWS_DEFAULT_STOP_TIMEOUT,
        )


def ecs_waves(desired: int, maximum_percent: int) -> int:
    """ECS starts up to (maximum - 100)% of desired extra tasks at a time, at least one."""
    extra_per_wave = max(1, math.floor(desired * (maximum_percent - 100) / 100))
    return max(1, math.ceil(desired / extra_per_wave))


def ecs_rollout(evaluation: Evaluation) -> Rollout:
    service = evaluation.one("aws:ecs/service:Service").inputs
    group = evaluation.one("aws:lb/targetGroup:TargetGroup").inputs
    (container,) = json.loads(
        evaluation.one("aws:ecs/taskDefinition:TaskDefinition").inputs["containerDefinitions"]
    )
    return Rollout(
        waves=ecs_waves(int(service["desiredCount"]), int(service["deploymentMaximumPercent"])),
        interval=group["healthCheck"]["interval"],
        healthy_threshold=int(group["healthCheck"]["healthyThreshold"]),
        deregistration_delay=group["deregistrationDelay"],
        stop_timeout=container["stopTimeout"],
    )
