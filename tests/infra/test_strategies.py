"""Deployment strategies under mocks: what each builds, and that a preview after ECS moved
traffic leaves what ECS owns alone."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from devtools import pulumi_mocks
from shipyard.config import naming

from .conftest import evaluated
from .test_stacks import (
    INGRESS,
    LISTENER,
    LISTENER_RULE,
    ROLE,
    SERVICE,
    TARGET_GROUP,
    rule_arn,
    target_group_arn,
)

ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ECS_POLICY = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
GROUP = "aws:autoscaling/group:Group"
ROLLOUT_WAIT = "pulumi-python:dynamic/shipyard:InstanceRefreshWait"
SHIFTING = ("blue_green", "canary", "linear")
# With bakeMinutes 7, canaryBakeMinutes 3, linearStepMinutes 4 (each its own field).
EXPECTED_CONFIGURATION = {
    "blue_green": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "7"},
    "canary": {
        "strategy": "CANARY", "bakeTimeInMinutes": "7",
        "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": "3"},
    },
    "linear": {
        "strategy": "LINEAR", "bakeTimeInMinutes": "7",
        "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": "4"},
    },
}  # fmt: skip
# How long `pulumi up` waits for the deployment: its waits, and 30 minutes more.
EXPECTED_TIMEOUT = {"blue_green": "37m", "canary": "40m", "linear": f"{7 + 3 * 4 + 30}m"}


def staging_with(strategy: str, **overrides: Any) -> pulumi_mocks.Evaluation:
    evaluation = pulumi_mocks.switched("staging", strategy, **overrides)
    evaluation.stack = "staging"  # for the ARN helpers of test_stacks
    return evaluation


def weights(rule: dict[str, Any]) -> list[tuple[str, float]]:
    (action,) = rule["actions"]
    return [
        (group["arn"].split("/")[-2], group["weight"])
        for group in action["forward"]["targetGroups"]
    ]


@pytest.mark.parametrize("strategy", SHIFTING)
def test_each_traffic_moving_strategy_builds_two_groups_weighted_rules_and_a_test_listener(
    strategy,
):
    staging = staging_with(
        strategy, testListenerPort=9443, testListenerCidrs=["192.0.2.0/24"], bakeMinutes=7,
        canaryBakeMinutes=3, linearStepMinutes=4,
    )  # fmt: skip
    prefix = "shipyard-sample-staging"
    groups = [naming.target_group_name(prefix, role) for role in ("tg", "tg2")]
    assert sorted(group.name for group in staging.of_type(TARGET_GROUP)) == sorted(groups)
    listeners = {listener.name: listener.inputs for listener in staging.of_type(LISTENER)}
    assert listeners[f"{prefix}-test"]["port"] == 9443
    assert listeners[f"{prefix}-test"]["defaultActions"][0]["type"] == "forward"
    # Both rules send every path to the first group, none to the second, until ECS moves it.
    rules = {rule.name: rule for rule in staging.of_type(LISTENER_RULE)}
    assert set(rules) == {f"{prefix}-rule", f"{prefix}-test-rule"}
    for rule in rules.values():
        assert weights(rule.inputs) == [(groups[0], 100), (groups[1], 0)]
        assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
        assert rule.ignore_changes == ["actions"]
    assert rules[f"{prefix}-rule"].inputs["listenerArn"].endswith(f"/{prefix}-http")
    assert rules[f"{prefix}-test-rule"].inputs["listenerArn"].endswith(f"/{prefix}-test")
    # Only the named range reaches the test port; the world reaches only port 80.
    cidr_rules = sorted(
        (rule.inputs["fromPort"], rule.inputs["cidrIpv4"])
        for rule in staging.of_type(INGRESS)
        if rule.inputs.get("cidrIpv4")
    )
    assert cidr_rules == [(80, "0.0.0.0/0"), (9443, "192.0.2.0/24")]
    # ECS moves traffic with a role it alone may assume, holding AWS's policy for it, and
    # never more than the environment's boundary.
    (role,) = [r for r in staging.of_type(ROLE) if r.name == f"{prefix}-traffic"]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "ecs.amazonaws.com"}]
    assert role.inputs["permissionsBoundary"].endswith(f":policy/{prefix}-boundary")
    assert [a.inputs["policyArn"] for a in staging.of_type(ATTACHMENT)
            if a.inputs["role"] == role.name] == [ECS_POLICY]  # fmt: skip
    service = staging.one(SERVICE)
    assert service.inputs["deploymentConfiguration"] == EXPECTED_CONFIGURATION[strategy]
    assert service.create_timeout == service.update_timeout == EXPECTED_TIMEOUT[strategy]
    assert service.inputs["loadBalancers"][0]["advancedConfiguration"] == {
        "alternateTargetGroupArn": target_group_arn(staging, "tg2"),
        "productionListenerRule": rule_arn(staging, "rule"),
        "testListenerRule": rule_arn(staging, "test-rule"),
        "roleArn": f"arn:aws:iam::{pulumi_mocks.ACCOUNT}:role/{prefix}-traffic",
    }
    # The service waits for its rules and for the role's policy before its first deployment.
    assert {(LISTENER_RULE, name) for name in rules} <= service.dependencies
    assert (ATTACHMENT, f"{prefix}-traffic-managed-0") in service.dependencies


def test_rolling_has_one_group_no_rules_no_test_listener_and_no_traffic_role():
    staging = staging_with("rolling")
    assert len(staging.of_type(TARGET_GROUP)) == 1
    assert staging.of_type(LISTENER_RULE) == []
    assert [listener.inputs["port"] for listener in staging.of_type(LISTENER)] == [80]
    assert not [role for role in staging.of_type(ROLE) if role.name.endswith("-traffic")]
    service = staging.one(SERVICE)
    assert service.inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}
    assert service.update_timeout == ""  # the provider's own
    assert "advancedConfiguration" not in service.inputs["loadBalancers"][0]
    # Back to rolling, ECS needs the circuit breaker again.
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


# ---- a preview after ECS moved traffic ------------------------------------------------------


def as_ecs_leaves_it(state: dict[tuple[str, str], dict[str, Any]]) -> None:
    """After a deployment: ECS swapped the service's target group with its alternate, and
    the rules now send everything to the group that was the alternate."""
    for (typ, _), inputs in state.items():
        if typ == SERVICE:
            (balancer,) = inputs["loadBalancers"]
            advanced = balancer["advancedConfiguration"]
            balancer["targetGroupArn"], advanced["alternateTargetGroupArn"] = (
                advanced["alternateTargetGroupArn"], balancer["targetGroupArn"],
            )  # fmt: skip
        if typ == LISTENER_RULE:
            for group in inputs["actions"][0]["forward"]["targetGroups"]:
                group["weight"] = 100 - group["weight"]


def planned_updates(
    state: dict[tuple[str, str], dict[str, Any]],
    program: pulumi_mocks.Evaluation,
    honour_ignore_changes: bool = True,
) -> set[tuple[str, str]]:
    """The resources a preview would update, as the engine decides: each property the
    resource's ignoreChanges names keeps its value from the state before the diff."""
    updates = set()
    for key, record in program.resources.items():
        if record.type.startswith("shipyard:") or key not in state:
            continue
        desired = copy.deepcopy(record.inputs)
        if honour_ignore_changes:
            for name in record.ignore_changes:
                assert "." not in name and "[" not in name, "top-level properties only"
                if name in state[key]:
                    desired[name] = state[key][name]
        if desired != state[key]:
            updates.add(key)
    return updates


def live_service(state: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """The service as ECS's DescribeServices shows it (the data source's shape) in `state`."""
    ((_, inputs),) = [(key, value) for key, value in state.items() if key[0] == SERVICE]
    balancers = []
    for balancer in inputs["loadBalancers"]:
        advanced = balancer.get("advancedConfiguration")
        shown = {key: value for key, value in balancer.items() if key != "advancedConfiguration"}
        balancers.append({**shown, "advancedConfigurations": [advanced] if advanced else []})
    return {inputs["name"]: {"status": "ACTIVE", "loadBalancers": balancers}}


def evaluated_against(stack: str, state: dict, **overrides: Any) -> pulumi_mocks.Evaluation:
    """The program run with ECS's service as `state` has it."""
    mocks = pulumi_mocks.RecordingMocks(live_services=live_service(state))
    return pulumi_mocks.evaluate(stack, mocks=mocks, overrides=overrides)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_a_preview_after_ecs_moved_traffic_changes_nothing_ecs_owns(stack):
    state = copy.deepcopy(evaluated(stack).inputs_by_key())
    as_ecs_leaves_it(state)
    again = evaluated_against(stack, state)
    assert again.one(SERVICE).ignore_changes == ["desiredCount", "loadBalancers"]
    assert planned_updates(state, again) == set()
    # Without the ignored properties, Pulumi would move traffic back and swap the groups.
    prefix = f"shipyard-sample-{stack}"
    assert planned_updates(state, again, honour_ignore_changes=False) == {
        (SERVICE, f"{prefix}-service"),
        (LISTENER_RULE, f"{prefix}-rule"),
        (LISTENER_RULE, f"{prefix}-test-rule"),
    }


def test_a_change_of_what_pulumi_owns_still_shows_after_ecs_moved_traffic():
    state = copy.deepcopy(evaluated("prod").inputs_by_key())
    as_ecs_leaves_it(state)
    longer_bake = evaluated_against("prod", state, bakeMinutes=20)
    assert planned_updates(state, longer_bake) == {(SERVICE, "shipyard-sample-prod-service")}


def test_the_production_rule_is_on_the_listener_that_serves_production():
    # HTTPS where there is a certificate (prod), where HTTP only redirects; else HTTP.
    for stack, listener in (("staging", "http"), ("prod", "https")):
        (rule,) = [r for r in evaluated(stack).of_type(LISTENER_RULE) if r.name.endswith("-rule")
                   and not r.name.endswith("-test-rule")]  # fmt: skip
        assert rule.inputs["listenerArn"].endswith(f"/shipyard-sample-{stack}-{listener}")


def test_a_test_listener_range_of_a_16_is_taken():
    staging = staging_with("blue_green", testListenerCidrs=["198.51.0.0/16"])
    assert [r.inputs["cidrIpv4"] for r in staging.of_type(INGRESS)
            if r.inputs.get("fromPort") == 8443] == ["198.51.0.0/16"]  # fmt: skip


def test_a_deleted_service_is_sent_its_whole_load_balancer_block():
    state = copy.deepcopy(evaluated("prod").inputs_by_key())
    live = live_service(state)
    live["shipyard-sample-prod"]["status"] = "INACTIVE"
    evaluation = pulumi_mocks.evaluate(
        "prod", mocks=pulumi_mocks.RecordingMocks(live_services=live)
    )
    assert evaluation.one(SERVICE).ignore_changes == ["desiredCount"]


def test_switching_a_rolling_service_sends_it_the_second_group_rules_and_role():
    rolling = pulumi_mocks.switched("prod", "rolling")
    state = copy.deepcopy(rolling.inputs_by_key())
    canary = evaluated_against("prod", state)
    # ECS has no advancedConfiguration yet, so Pulumi must not leave loadBalancers alone.
    service = canary.one(SERVICE)
    assert service.ignore_changes == ["desiredCount"]
    key = (SERVICE, "shipyard-sample-prod-service")
    assert key in planned_updates(state, canary)
    (sent,) = service.inputs["loadBalancers"]
    assert sent["targetGroupArn"] == state[key]["loadBalancers"][0]["targetGroupArn"]
    assert set(sent["advancedConfiguration"]) == {
        "alternateTargetGroupArn", "productionListenerRule", "testListenerRule", "roleArn"
    }
    # Requests keep their route while the rule is created: the listener still forwards.
    (https,) = [r for r in canary.of_type(LISTENER) if r.name.endswith("-https")]
    assert https.inputs == rolling.resources[(LISTENER, https.name)].inputs


# ---- EC2: instance refresh checkpoints ------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "checkpoints"),
    [
        ({"deploymentStrategy": "canary", "canaryPercent": 25, "canaryBakeMinutes": 10},
         ([25, 100], 600)),
        ({"deploymentStrategy": "linear", "linearStepPercent": 30, "linearStepMinutes": 3},
         ([30, 60, 90, 100], 180)),
        ({"deploymentStrategy": "canary", "canaryPercent": 100}, ([100], 300)),
        ({"deploymentStrategy": "rolling"}, None),
    ],
)  # fmt: skip
def test_ec2_canary_and_linear_are_refresh_checkpoints_the_alarms_roll_back(
    overrides, checkpoints
):
    strategy = overrides.pop("deploymentStrategy")
    qa = pulumi_mocks.switched("qa", strategy, **overrides)
    preferences = qa.one(ROLLOUT_WAIT).inputs["preferences"]
    found = (
        (preferences["CheckpointPercentages"], preferences["CheckpointDelay"])
        if "CheckpointPercentages" in preferences
        else None
    )
    assert found == checkpoints
    assert preferences["AutoRollback"] is True
    assert sorted(preferences["AlarmSpecification"]["Alarms"]) == sorted(qa.outputs["alarmNames"])
    # EC2 has one target group and no test listener, whatever the strategy.
    assert len(qa.of_type(TARGET_GROUP)) == 1 and qa.of_type(LISTENER_RULE) == []
