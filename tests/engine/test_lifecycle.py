"""`pulumi up`, a second `up`, and `destroy` by the real engine against the local cloud:
what the engine alone enforces (protect, secrets in its state, no change on a repeat)."""

from __future__ import annotations

import json
import subprocess

import boto3
import pytest
from pulumi import automation as auto

from devtools import pulumi_mocks
from devtools.engine import ROOT, Engine

# A value only the engine's secrets provider may see in clear.
PLAINTEXT = "test-only-engine-secret-5c9e"


def state_text(engine: Engine, stack: str) -> str:
    exported = engine.run("stack", "export", "-s", stack).stdout
    return exported


def up_with_steps(deployed: auto.Stack) -> tuple[auto.UpResult, dict[str, set[str]]]:
    """`up`, and the steps the engine took, by resource type."""
    steps: dict[str, set[str]] = {}

    def record(event: auto.EngineEvent) -> None:
        if event.resource_pre_event is not None:
            metadata = event.resource_pre_event.metadata
            steps.setdefault(metadata.type, set()).add(str(metadata.op.value))

    return deployed.up(on_event=record), steps


@pytest.mark.parametrize("stack", ["dev", "staging", "qa"])
def test_up_then_up_again_changes_nothing_and_destroy_removes_everything(first_deploy, stack):
    deployed = first_deploy(stack)
    first = deployed.up()
    created = first.summary.resource_changes or {}
    assert created == {"create": len(pulumi_mocks.evaluate(stack).resources) + 1}
    assert first.outputs["url"].value.startswith("http://")
    again = deployed.up()
    assert set(again.summary.resource_changes or {}) == {"same"}
    gone = deployed.destroy()
    assert gone.summary.resource_changes == {"delete": created["create"]}


@pytest.mark.parametrize("stack", ["shared", "prod"])
def test_a_second_up_of_the_stacks_that_protect_resources_changes_nothing(first_deploy, stack):
    deployed = first_deploy(stack)
    assert "create" in (deployed.up().summary.resource_changes or {})
    assert set(deployed.up().summary.resource_changes or {}) == {"same"}


def test_destroy_of_prod_is_refused_for_what_it_protects(engine, first_deploy):
    deployed = first_deploy("prod")
    deployed.up()
    with pytest.raises(auto.CommandError) as refused:
        deployed.destroy()
    assert "protected" in str(refused.value)
    # Nothing was deleted: the state still holds the protected log groups and the rest.
    assert "shipyard-sample-prod-logs" in state_text(engine, "prod")


def test_a_value_set_as_a_secret_reaches_the_program_and_never_the_state_in_clear(
    engine, first_deploy
):
    path = engine.stack_file("staging")
    path.write_text(path.read_text().replace(
        "    - SMTP_PASSWORD=/shipyard-sample/staging/smtp-password\n",
        "    - SMTP_PASSWORD=/shipyard-sample/staging/smtp-password\n    - API_KEY\n",
    ))  # fmt: skip
    deployed = first_deploy("staging")
    engine.run("config", "set", "--secret", "--path", "shipyard:secretValues[0]",
               f"API_KEY={PLAINTEXT}", "-s", "staging")  # fmt: skip
    assert PLAINTEXT not in path.read_text()
    deployed.up()
    state = state_text(engine, "staging")
    parameters = [
        resource for resource in json.loads(state)["deployment"]["resources"]
        if resource["type"] == "aws:ssm/parameter:Parameter"
        and resource["urn"].endswith("secret-API_KEY")
    ]  # fmt: skip
    (parameter,) = parameters
    # The program handed the value to the parameter, as a secret the engine encrypted.
    assert parameter["inputs"]["value"]["4dabf18193072939515e22adb298388d"] == (
        "1b47061264138c4ac30d75fd1eb44270"
    )
    assert PLAINTEXT not in state


def test_engine_check_refuses_a_stack_without_a_stack_file(engine):
    completed = subprocess.run(
        [str(ROOT / "scripts" / "engine-check"), "nosuch"], capture_output=True, text=True,
        check=False, timeout=120,
    )  # fmt: skip
    assert completed.returncode == 2
    assert "no stack file for nosuch; stacks: dev, prod, qa, shared, staging" in completed.stderr


def test_a_change_the_provider_marks_force_new_replaces_and_others_update(first_deploy, engine):
    deployed = first_deploy("dev")
    deployed.up()
    engine.run("config", "set", "shipyard:cpu", "512", "--stack", "dev")
    engine.run("config", "set", "shipyard:memory", "1024", "--stack", "dev")
    engine.run("config", "set", "shipyard:desiredCount", "2", "--stack", "dev")
    _, steps = up_with_steps(deployed)
    # A task definition's cpu is ForceNew: a new revision, the old one deregistered.
    task_definition = "aws:ecs/taskDefinition:TaskDefinition"
    assert {"create-replacement", "replace", "delete-replaced"} <= steps[task_definition]
    assert steps["aws:ecs/service:Service"] == {"update"}
    assert not any("replace" in op for typ, ops in steps.items() if typ != task_definition
                   for op in ops)  # fmt: skip


def test_a_new_image_on_ec2_rolls_out_through_the_real_dynamic_provider_host(
    first_deploy, engine, aws_endpoint
):
    """The rollout step's update: the host unpickles the provider, which starts an instance
    refresh to the new launch template version (moto's, devtools/moto_refreshes.py) and
    waits for it by its ID; the group is on that version afterwards."""
    deployed = first_deploy("qa")
    deployed.up()
    new_image = "sha256:" + "a" * 64
    engine.run("config", "set", "shipyard:imageDigest", new_image, "--stack", "qa")
    result, steps = up_with_steps(deployed)
    assert steps["pulumi-python:dynamic/shipyard:InstanceRefreshWait"] == {"update"}
    assert steps["aws:ec2/launchTemplate:LaunchTemplate"] == {"update"}
    assert not any("replace" in op for ops in steps.values() for op in ops)
    autoscaling = boto3.client("autoscaling", endpoint_url=aws_endpoint, region_name="us-east-1")
    (refresh,) = autoscaling.describe_instance_refreshes(
        AutoScalingGroupName="shipyard-sample-qa"
    )["InstanceRefreshes"]
    (group,) = autoscaling.describe_auto_scaling_groups(
        AutoScalingGroupNames=["shipyard-sample-qa"]
    )["AutoScalingGroups"]
    assert refresh["Status"] == "Successful"
    assert group["LaunchTemplate"]["Version"] == refresh["DesiredConfiguration"][
        "LaunchTemplate"]["Version"] == "2"  # fmt: skip
    assert new_image in result.outputs["image"].value
