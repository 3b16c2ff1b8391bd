"""Deterministic inputs, and exactly which resources an image change or a setting touches."""

from __future__ import annotations

import pytest

from devtools import pulumi_mocks

from .conftest import EC2_STACKS, ECS_STACKS, SHIPPED_STACKS, evaluated
from .test_stacks import IMAGE, LISTENER, SERVICE, TARGET_GROUP, TASK

LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GROUP = "aws:autoscaling/group:Group"
ROLLOUT_WAIT = "pulumi-python:dynamic/shipyard:InstanceRefreshWait"
RELEASE_RECORD = "aws:ssm/parameter:Parameter"
# What carries the image on each target: ECS rolls a new task definition revision into the
# service; EC2 renders new user data into a new launch template version, the group's
# instance refresh rolls it out, and the rollout wait sees it finish. Both record the digest.
IMAGE_CARRIERS = {
    **{stack: {TASK, SERVICE, RELEASE_RECORD} for stack in ECS_STACKS},
    **{stack: {LAUNCH_TEMPLATE, GROUP, ROLLOUT_WAIT, RELEASE_RECORD} for stack in EC2_STACKS},
}

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def changed(before: pulumi_mocks.Evaluation, after: pulumi_mocks.Evaluation) -> set[str]:
    """Resources (type) whose inputs differ, or that exist on only one side."""
    old, new = before.inputs_by_key(), after.inputs_by_key()
    return {key[0] for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_same_stack_evaluated_twice_gives_identical_inputs(stack):
    # The session's shared evaluation, and a fresh one.
    first, second = evaluated(stack), pulumi_mocks.evaluate(stack)
    assert first.inputs_by_key() == second.inputs_by_key()
    assert first.outputs == second.outputs
    assert changed(first, second) == set()


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_pinning_another_digest_changes_only_what_carries_the_image(stack):
    before = pulumi_mocks.evaluate(stack, overrides={"imageDigest": DIGEST_A})
    after = pulumi_mocks.evaluate(stack, overrides={"imageDigest": DIGEST_B})
    assert changed(before, after) == IMAGE_CARRIERS[stack]
    assert after.outputs["image"].endswith(f"@{DIGEST_B}")


def test_a_pinned_stack_builds_nothing_and_needs_no_registry_login():
    pinned = pulumi_mocks.evaluate("dev", overrides={"imageDigest": DIGEST_A})
    assert pinned.of_type(IMAGE) == []
    tokens = [call for call, _ in pinned.calls if "getAuthorizationToken" in call]
    assert tokens == []
    assert "commit" not in pinned.outputs
    built = evaluated("dev")
    # Going from a build to a pin removes only the build and rolls the task definition.
    assert changed(built, pinned) == {IMAGE, TASK, SERVICE, RELEASE_RECORD}


@pytest.mark.parametrize("stack", ["dev", *EC2_STACKS])
def test_a_new_commit_rebuilds_and_rolls_only_the_image_carriers(stack):
    building = {"imageSource": "build"}
    before = pulumi_mocks.evaluate(stack, commit="1" * 40, overrides=building)
    after = pulumi_mocks.evaluate(stack, commit="2" * 40, overrides=building)
    assert changed(before, after) == {IMAGE} | IMAGE_CARRIERS[stack]


@pytest.mark.parametrize("stack", ["staging", "prod", *EC2_STACKS])
def test_a_release_stack_changes_nothing_for_a_new_commit(stack):
    # It deploys its release record, whatever the checkout: a pipeline run on a new commit
    # that changes no setting keeps what runs (a rollback included).
    before = pulumi_mocks.evaluate(stack, commit="1" * 40)
    after = pulumi_mocks.evaluate(stack, commit="2" * 40)
    assert changed(before, after) == set()


@pytest.mark.parametrize("stack", ["staging", *EC2_STACKS])
def test_a_health_check_setting_changes_only_the_target_group(stack):
    before = pulumi_mocks.evaluate(stack)
    after = pulumi_mocks.evaluate(stack, overrides={"healthCheckInterval": 10})
    assert changed(before, after) == {TARGET_GROUP}


def test_a_certificate_adds_https_with_tls12_and_redirects_http():
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-aaaa-bbbb-cccc-000000000000"
    evaluation = pulumi_mocks.evaluate(
        "prod", overrides={"certificateArn": arn, "domainName": "", "hostedZone": ""}
    )
    listeners = {
        listener.inputs["port"]: listener.inputs for listener in evaluation.of_type(LISTENER)
    }
    # 8443: canary's test listener, HTTPS like production's.
    assert set(listeners) == {80, 443, 8443}
    assert listeners[8443]["protocol"] == "HTTPS"
    assert listeners[8443]["certificateArn"] == arn
    assert listeners[80]["defaultActions"] == [
        {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
        }
    ]
    assert listeners[443]["protocol"] == "HTTPS"
    assert listeners[443]["certificateArn"] == arn
    assert listeners[443]["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listeners[443]["defaultActions"][0]["type"] == "forward"
    world_ports = sorted(
        rule.inputs["fromPort"]
        for rule in evaluation.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if rule.inputs.get("cidrIpv4") == "0.0.0.0/0"
    )
    assert world_ports == [80, 443]
    assert evaluation.outputs["url"].startswith("https://")


def test_building_without_a_dockerfile_fails_clearly_and_a_pin_needs_none(monkeypatch, tmp_path):
    import pulumi

    from shipyard.program import stack
    monkeypatch.setattr(stack, "app_dir", lambda: tmp_path)
    mocks = pulumi_mocks.RecordingMocks()
    with pytest.raises(pulumi.RunError, match="Dockerfile does not exist; add the service's"):
        pulumi_mocks.evaluate("dev", mocks=mocks)
    assert mocks.resources == {}
    assert pulumi_mocks.evaluate("dev", overrides={"imageDigest": DIGEST_A}).of_type(TASK)
