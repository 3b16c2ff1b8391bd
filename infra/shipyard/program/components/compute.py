"""What both compute targets (ECS and EC2) are given: where to run and what surrounds them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from shipyard.config import ScalingSettings
from shipyard.program.components.iam import SecretGrant
from shipyard.program.container import ContainerSpec


@dataclass(frozen=True)
class ComputePlacement:
    container: ContainerSpec
    scaling: ScalingSettings
    health_check_path: str
    health_check_grace_period: int
    subnet_ids: pulumi.Input[list[str]]
    assign_public_ip: bool
    security_group_id: pulumi.Input[str]
    target_group_arn: pulumi.Input[str]
    request_count_label: pulumi.Input[str]
    repository_arn: pulumi.Input[str]
    log_group_arn: pulumi.Input[str]
    # Outputs of the alarms that roll a deployment back.
    alarm_names: list[pulumi.Output[str]]
    # What the service or group waits for on first create: the listeners that attach its
    # target group to the load balancer, and the NAT gateways and routes its subnets use.
    dependencies: list[pulumi.Resource]
    # The AWS account deployed to.
    account: str = ""
    # The service's permissions boundary, which every role of the environment carries.
    permissions_boundary: str = ""
    # The AWS profile from aws:profile, for the steps that call AWS themselves.
    aws_profile: str = ""
    # What the role that starts the container may read of its secrets; None: it has none.
    secret_grant: SecretGrant | None = None


def pre_deploy_props(
    placement: ComputePlacement, command: Sequence[str], timeout_minutes: int
) -> dict[str, Any]:
    """What the pre-deploy step (program/pre_deploy.py) is given on either target; each
    adds where it runs."""
    return {
        "image": placement.container.image_ref,
        "command": list(command),
        "logGroup": placement.container.log_group_name,
        "region": placement.container.region,
        "profile": placement.aws_profile,
        "timeoutSeconds": timeout_minutes * 60,
    }
