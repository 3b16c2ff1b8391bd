"""Least-privilege roles: a trust policy for one AWS service and one inline policy as data."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws


def trust_policy(service: str) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def allow(actions: list[str], resources: list[pulumi.Input[str]]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def service_role(
    name: str,
    service: str,
    statements: list[dict[str, Any]],
    parent: pulumi.Resource,
    managed_policy_arns: tuple[str, ...] = (),
) -> aws.iam.Role:
    """A role that `service` can assume, with exactly these statements and managed policies."""
    role = aws.iam.Role(
        name,
        assume_role_policy=trust_policy(service),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    if statements:
        aws.iam.RolePolicy(
            name,
            role=role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    for index, policy_arn in enumerate(managed_policy_arns):
        aws.iam.RolePolicyAttachment(
            f"{name}-managed-{index}",
            role=role.name,
            policy_arn=policy_arn,
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return role


def image_pull_and_log_statements(
    repository_arn: pulumi.Input[str], log_group_arn: pulumi.Input[str]
) -> list[dict[str, Any]]:
    """Pull this repository's images and write to this log group; nothing else."""
    return [
        # GetAuthorizationToken has no resource-level permissions: AWS requires "*".
        allow(["ecr:GetAuthorizationToken"], ["*"]),
        allow(
            ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            [repository_arn],
        ),
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [pulumi.Output.from_input(log_group_arn).apply(lambda arn: f"{arn}:*")],
        ),
    ]
