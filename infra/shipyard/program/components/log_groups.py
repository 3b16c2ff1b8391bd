"""The environment's CloudWatch log groups: the service's, the VPC's flow logs and the web
ACL's, each encrypted with the environment's key and expiring its events."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def encrypted_log_group(
    resource_name: str,
    group_name: str,
    retention_days: int,
    key_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    protect: bool,
) -> aws.cloudwatch.LogGroup:
    """A log group named `group_name`, kept `retention_days` and encrypted with `key_arn`;
    protected where the stack protects what it keeps (protectResources)."""
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=group_name,
        retention_in_days=retention_days,
        kms_key_id=key_arn,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
