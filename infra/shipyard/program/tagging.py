"""Every AWS resource a stack creates carries `shipyard:stack = <service>-<env>`.

Most AWS services cannot scope IAM permissions by name for what a deploy creates (EC2 and
Application Auto Scaling resources are named by generated IDs, and load balancer names may
be shortened), but they can by tag. The deploy roles (components/deploy_policy.py) allow
creating only what carries this tag and changing only what already does.
"""

from __future__ import annotations

import inspect
from typing import Any

import pulumi
import pulumi_aws as aws

STACK_TAG = "shipyard:stack"


def accepts_tags(resource: pulumi.Resource) -> bool:
    init = getattr(type(resource), "_internal_init", None)
    return init is not None and "tags" in inspect.signature(init).parameters


def with_stack_tag(type_: str, tags: Any, value: str) -> Any:
    # Auto Scaling groups take a list of tags, each saying whether instances inherit it.
    if type_ == "aws:autoscaling/group:Group":
        tag = aws.autoscaling.GroupTagArgs(key=STACK_TAG, value=value, propagate_at_launch=True)
        return [*(tags or []), tag]
    return {**(tags or {}), STACK_TAG: value}


def tag_every_resource(value: str) -> None:
    """Add the stack tag to every AWS resource registered from now on that takes tags."""

    def tag(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith("aws:") or not accepts_tags(args.resource):
            return None
        props = dict(args.props)
        props["tags"] = with_stack_tag(args.type_, props.get("tags"), value)
        return pulumi.ResourceTransformationResult(props, args.opts)

    pulumi.runtime.register_stack_transformation(tag)
