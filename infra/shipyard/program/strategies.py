"""What each deployment strategy asks of ECS and of an instance refresh, and how long it
holds a deployment open: one place for the component, the settings and the rollout model."""

from __future__ import annotations

import pulumi_aws as aws

from shipyard.config import DeploymentSettings
from shipyard.config.aws_limits import STRATEGIES
from shipyard.config.strategy_checks import (
    DEPLOYMENT_MARGIN_MINUTES,
    shifting_minutes,
)

# ECS's own roles for moving traffic between target groups: the role's trust, and AWS's
# managed policy for it (listener and rule changes, target registration).
ECS_TRAFFIC_PRINCIPAL = "ecs.amazonaws.com"
ECS_LOAD_BALANCERS_POLICY = (
    "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
)


def ecs_deployment_configuration(
    deployment: DeploymentSettings,
) -> aws.ecs.ServiceDeploymentConfigurationArgs:
    """The strategy always, so a stack going back to rolling says so (left out, the
    service would keep the strategy it had)."""
    strategy = deployment.strategy
    return aws.ecs.ServiceDeploymentConfigurationArgs(
        strategy=STRATEGIES[strategy],
        bake_time_in_minutes=None if strategy == "rolling" else str(deployment.bake_minutes),
        canary_configuration=(
            aws.ecs.ServiceDeploymentConfigurationCanaryConfigurationArgs(
                canary_percent=float(deployment.canary_percent),
                canary_bake_time_in_minutes=str(deployment.canary_bake_minutes),
            )
            if strategy == "canary"
            else None
        ),
        linear_configuration=(
            aws.ecs.ServiceDeploymentConfigurationLinearConfigurationArgs(
                step_percent=float(deployment.linear_step_percent),
                step_bake_time_in_minutes=str(deployment.linear_step_minutes),
            )
            if strategy == "linear"
            else None
        ),
    )


def held_minutes(deployment: DeploymentSettings) -> int:
    """Minutes a deployment waits on purpose: while traffic shifts, then the bake with the
    previous revision still running."""
    if deployment.strategy == "rolling":
        return 0
    shifting = shifting_minutes(
        deployment.strategy,
        deployment.canary_bake_minutes,
        deployment.linear_step_percent,
        deployment.linear_step_minutes,
    )
    return int(shifting) + deployment.bake_minutes


def provider_timeout(deployment: DeploymentSettings) -> str:
    """How long `pulumi up` waits for an ECS service deployment, as Pulumi spells it."""
    return f"{held_minutes(deployment) + DEPLOYMENT_MARGIN_MINUTES}m"


def refresh_checkpoints(deployment: DeploymentSettings) -> tuple[list[int], int] | None:
    """EC2: the instance refresh's checkpoints (percent of instances replaced) and the
    seconds it waits at each, or None for one rolling pass."""
    if deployment.strategy == "canary":
        percentages = sorted({deployment.canary_percent, 100})
        return percentages, deployment.canary_bake_minutes * 60
    if deployment.strategy == "linear":
        step = deployment.linear_step_percent
        return [*range(step, 100, step), 100], deployment.linear_step_minutes * 60
    return None
