"""Least-privilege roles: a trust policy for one AWS service and one inline policy as data."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws


def trust_policy(
    principal: dict[str, pulumi.Input[str]],
    action: str = "sts:AssumeRole",
    condition: dict[str, Any] | None = None,
) -> pulumi.Output[str]:
    """Who may assume a role: one principal, one action, and the condition it must meet."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [statement]})


# Attached to instance roles for Session Manager; deploy roles may detach exactly this one.
SSM_CORE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def allow(
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]],
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": list(resources),
    }
    if condition:
        statement["Condition"] = condition
    return statement


@dataclass(frozen=True)
class ServiceRole:
    role: aws.iam.Role
    # The role's policies and attachments. Whatever uses the role's permissions (a task
    # definition, a launch template) depends on these, or its first use can fail.
    grants: list[pulumi.Resource]

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.role.arn


def service_role(
    name: str,
    service: str,
    statements: list[dict[str, Any]],
    parent: pulumi.Resource,
    permissions_boundary: str,
    managed_policy_arns: tuple[str, ...] = (),
    trust_condition: dict[str, Any] | None = None,
) -> ServiceRole:
    """A role that `service` can assume (on the condition given), with exactly these
    statements and managed policies, and never more than the service's permissions boundary
    (which the deploy roles demand)."""
    child = pulumi.ResourceOptions(parent=parent)
    role = aws.iam.Role(
        name,
        assume_role_policy=trust_policy({"Service": service}, condition=trust_condition),
        permissions_boundary=permissions_boundary,
        opts=child,
    )
    grants: list[pulumi.Resource] = []
    if statements:
        grants.append(
            aws.iam.RolePolicy(
                name,
                role=role.id,
                policy=pulumi.Output.json_dumps(
                    {"Version": "2012-10-17", "Statement": statements}
                ),
                opts=child,
            )
        )
    for index, policy_arn in enumerate(managed_policy_arns):
        grants.append(
            aws.iam.RolePolicyAttachment(
                f"{name}-managed-{index}", role=role.name, policy_arn=policy_arn, opts=child
            )
        )
    return ServiceRole(role, grants)


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


# Session Manager's channels, which ECS Exec opens from inside the task. They have no
# resource-level permissions: AWS requires "*".
SESSION_CHANNEL_ACTIONS = (
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
)  # fmt: skip


def ecs_exec_statements(log_group_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """What a task needs for ECS Exec: the session's channels, and writing each session's
    output to the service's own log group (the cluster's DEFAULT logging, through the task
    definition's awslogs), which is its audit trail beside CloudTrail's ExecuteCommand."""
    group = pulumi.Output.from_input(log_group_arn)
    return [
        allow(SESSION_CHANNEL_ACTIONS, ["*"]),
        # DescribeLogGroups is listed by prefix: it takes no resource narrower than "*".
        allow(["logs:DescribeLogGroups"], ["*"]),
        allow(["logs:DescribeLogStreams"], [group]),
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [group.apply(lambda arn: f"{arn}:*")],
        ),
    ]


@dataclass(frozen=True)
class SecretGrant:
    """What a role that starts the container must read: exactly these parameters and secrets,
    decrypted with exactly these keys (the environment's own, for the values Pulumi keeps)."""

    parameter_arns: Sequence[pulumi.Input[str]]
    secret_arns: Sequence[str]
    # The environment's key for the values Pulumi keeps; None when it keeps none.
    kept_key_arn: pulumi.Input[str] | None
    # References to values stored by hand: their parameter and secret ARNs as the services
    # name them in the encryption context, since the key that encrypts them is the owner's.
    referenced_parameter_arns: Sequence[pulumi.Input[str]]
    region: str
    account: str

    def statements(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if self.parameter_arns:
            found.append(allow(["ssm:GetParameter", "ssm:GetParameters"], self.parameter_arns))
        if self.secret_arns:
            found.append(allow(["secretsmanager:GetSecretValue"], self.secret_arns))
        via = f"ssm.{self.region}.amazonaws.com"
        if self.kept_key_arn is not None:
            only_via_ssm = {"StringEquals": {"kms:ViaService": via}}
            found.append(allow(["kms:Decrypt"], [self.kept_key_arn], only_via_ssm))
        # AWS-managed keys (aws/ssm, aws/secretsmanager) need no grant; a customer-managed
        # one does. Which key a team chose is not known here, so the grant names the values
        # instead: any of the account's keys, only through the service, only for them.
        any_key = f"arn:aws:kms:{self.region}:{self.account}:key/*"
        if self.referenced_parameter_arns:
            found.append(allow(["kms:Decrypt"], [any_key], {"StringEquals": {
                "kms:ViaService": via,
                "kms:EncryptionContext:PARAMETER_ARN": list(self.referenced_parameter_arns),
            }}))  # fmt: skip
        if self.secret_arns:
            found.append(allow(["kms:Decrypt"], [any_key], {"StringEquals": {
                "kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com",
                "kms:EncryptionContext:SecretARN": list(self.secret_arns),
            }}))  # fmt: skip
        return found


# The starting role's policy apart from its secret grant (image pulls, logs and, on EC2, the
# lifecycle hook), at its largest: the longest names and region. tests/infra/test_secrets.py
# measures it for every shipped stack.
STARTING_ROLE_BASE_CHARACTERS = 800


def policy_characters(statements: list[dict[str, Any]]) -> int:
    """A policy's size as IAM counts it: the document's characters, whitespace not counted."""
    document = {"Version": "2012-10-17", "Statement": statements}
    return len(json.dumps(document, separators=(",", ":")))


def secret_statements(grant: SecretGrant | None) -> list[dict[str, Any]]:
    return grant.statements() if grant is not None else []


def source_trust(account: str, source_arn: str) -> dict[str, Any]:
    """A trust condition on the confused-deputy keys a service sends: only this account's
    resources matching `source_arn` may have the role assumed for them."""
    return {
        "StringEquals": {"aws:SourceAccount": account},
        "ArnLike": {"aws:SourceArn": source_arn},
    }


def ecs_tasks_trust(region: str, account: str) -> dict[str, Any]:
    """ECS assumes a task's roles only for tasks of this account (the confused-deputy keys
    ECS sends). EC2 sends neither when it gives an instance its role, so instance roles
    carry none."""
    return source_trust(account, f"arn:aws:ecs:{region}:{account}:*")
