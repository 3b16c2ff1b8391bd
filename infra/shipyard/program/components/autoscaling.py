"""Which target-tracking policies a service gets, for either compute target."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from shipyard.config import ScalingSettings


@dataclass(frozen=True)
class TrackingPolicy:
    suffix: str
    ecs_metric: str
    ec2_metric: str | None  # None: EC2 Auto Scaling has no predefined metric for it
    target_value: float
    uses_load_balancer_label: bool = False

    def resource_label(self, request_count_label: pulumi.Input[str]) -> pulumi.Input[str] | None:
        """The label its predefined metric needs: only the ALB request count takes one."""
        return request_count_label if self.uses_load_balancer_label else None


def tracking_policies(scaling: ScalingSettings) -> list[TrackingPolicy]:
    policies = []
    if scaling.scale_on_cpu:
        policies.append(
            TrackingPolicy(
                "cpu",
                "ECSServiceAverageCPUUtilization",
                "ASGAverageCPUUtilization",
                scaling.cpu_target_percent,
            )
        )
    if scaling.scale_on_memory:
        policies.append(
            TrackingPolicy(
                "memory",
                "ECSServiceAverageMemoryUtilization",
                None,
                scaling.memory_target_percent,
            )
        )
    if scaling.scale_on_requests:
        policies.append(
            TrackingPolicy(
                "requests",
                "ALBRequestCountPerTarget",
                "ALBRequestCountPerTarget",
                scaling.requests_per_target,
                uses_load_balancer_label=True,
            )
        )
    return policies  # fmt: skip


def request_count_label(
    load_balancer_arn_suffix: pulumi.Input[str], target_group_arn_suffix: pulumi.Input[str]
) -> pulumi.Output[str]:
    """The resource label ALBRequestCountPerTarget needs: app/.../targetgroup/...."""
    return pulumi.Output.concat(load_balancer_arn_suffix, "/", target_group_arn_suffix)
