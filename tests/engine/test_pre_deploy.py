"""preDeployCommand on the real engine: the dynamic provider host runs the new image's
command as a one-off task in the local cloud's account (moto, whose stand-in runtime ends
`sh -c 'exit N'` with N: devtools/moto_tasks.py) before the service moves."""

from __future__ import annotations

import boto3
import pytest
from pulumi import automation as auto

RELEASED, NEXT = "sha256:" + "a" * 64, "sha256:" + "b" * 64
STEP = "pulumi-python:dynamic/shipyard:PreDeployCommand"


def one_offs(endpoint: str) -> list[str]:
    ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1")
    return ecs.list_tasks(cluster="shipyard-sample-dev", startedBy="shipyard-pre-deploy")[
        "taskArns"
    ]


def running_image(endpoint: str) -> str:
    ecs = boto3.client("ecs", endpoint_url=endpoint, region_name="us-east-1")
    (service,) = ecs.describe_services(
        cluster="shipyard-sample-dev", services=["shipyard-sample-dev"]
    )["services"]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    return str(definition["taskDefinition"]["containerDefinitions"][0]["image"])


def recorded(endpoint: str) -> str:
    ssm = boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1")
    parameter = ssm.get_parameter(Name="/shipyard/shipyard-sample/dev/release")
    return str(parameter["Parameter"]["Value"])


def command(deployed: auto.Stack, *words: str) -> None:
    """preDeployCommand set as a list, as `pulumi config set --path` sets one."""
    deployed.remove_config("shipyard:preDeployCommand")
    for index, word in enumerate(words):
        deployed.set_config(
            f"shipyard:preDeployCommand[{index}]", auto.ConfigValue(word), path=True
        )


def test_a_migration_runs_once_per_image_and_a_failing_one_keeps_the_release(
    first_deploy, engine, aws_endpoint
):
    deployed = first_deploy("dev")
    command(deployed, "sh", "-c", "exit 0")
    engine.run("config", "set", "shipyard:imageDigest", RELEASED, "--stack", "dev")
    deployed.up()
    assert len(one_offs(aws_endpoint)) == 1
    assert running_image(aws_endpoint).endswith(RELEASED) and recorded(aws_endpoint) == RELEASED

    # No new image: nothing to migrate for.
    steps: dict[str, str] = {}
    deployed.up(on_event=lambda event: event.resource_pre_event and steps.update(
        {event.resource_pre_event.metadata.type: str(event.resource_pre_event.metadata.op.value)}
    ))  # fmt: skip
    assert steps.get(STEP, "same") == "same"
    assert len(one_offs(aws_endpoint)) == 1

    # A new image whose migration fails: the update fails before the service moves.
    command(deployed, "sh", "-c", "exit 3")
    engine.run("config", "set", "shipyard:imageDigest", NEXT, "--stack", "dev")
    with pytest.raises(auto.CommandError) as failed:
        deployed.up()
    assert "exited with 3 in the new image" in str(failed.value)
    assert "the service stays on the previous release" in str(failed.value)
    assert len(one_offs(aws_endpoint)) == 2
    assert running_image(aws_endpoint).endswith(RELEASED)
    assert recorded(aws_endpoint) == RELEASED
