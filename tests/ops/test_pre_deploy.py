"""The pre-deploy command's provider (program/pre_deploy.py) against moto: what it asks ECS
for, and how each ending of the one-off task ends the update."""

from __future__ import annotations

import base64

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from devtools.aws_world import World
from shipyard.errors import UserError
from shipyard.program import pre_deploy
from shipyard.program.pre_deploy import PreDeployCommandProvider, run_pre_deploy

from .conftest import unpickled_where_the_engine_does

GROUP = "/shipyard/shipyard-sample-staging"
NEW_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shipyard-sample@sha256:" + "2" * 64


@pytest.fixture
def props(runnable_staging, world: World) -> dict:
    service = world.client("ecs").describe_services(
        cluster="shipyard-sample-staging", services=["shipyard-sample-staging"]
    )["services"][0]
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    return {
        "cluster": "shipyard-sample-staging", "taskDefinition": service["taskDefinition"],
        "image": NEW_IMAGE, "command": ["python", "manage.py", "migrate"], "container": "app",
        "subnets": network["subnets"], "securityGroups": network["securityGroups"],
        "assignPublicIp": False, "logGroup": GROUP, "streamPrefix": "app",
        "region": "us-east-1", "profile": "", "timeoutSeconds": 2, "pollSeconds": 0.05,
    }  # fmt: skip


def test_a_passing_command_runs_once_in_the_new_task_definition(world, props):
    requests = world.one_off_task(GROUP, ["applied 3 migrations"], exit_code=0,
                                  started_by="shipyard-pre-deploy")  # fmt: skip
    assert run_pre_deploy(world.aws, props) == 0
    (request,) = requests
    assert request["taskDefinition"] == props["taskDefinition"]
    assert request["overrides"] == {
        "containerOverrides": [{"name": "app", "command": ["python", "manage.py", "migrate"]}]
    }
    assert request["networkConfiguration"] == {"awsvpcConfiguration": {
        "subnets": props["subnets"], "securityGroups": props["securityGroups"],
        "assignPublicIp": "DISABLED",
    }}  # fmt: skip
    assert request["startedBy"] == "shipyard-pre-deploy"


def test_a_failing_command_fails_with_its_exit_code_and_last_lines(world, props):
    world.one_off_task(GROUP, ["connecting", "relation users already exists"], exit_code=1,
                       started_by="shipyard-pre-deploy")  # fmt: skip
    with pytest.raises(UserError) as raised:
        run_pre_deploy(world.aws, props)
    said = str(raised.value)
    assert "preDeployCommand python manage.py migrate exited with 1 in the new image" in said
    assert "the service stays on the previous release" in said
    assert said.index("connecting") < said.index("relation users already exists")


def test_a_command_that_never_ran_says_why(world, props):
    world.one_off_task(GROUP, [], exit_code=None, stops_after=1,
                       reason="CannotPullContainerError: manifest unknown",
                       started_by="shipyard-pre-deploy")  # fmt: skip
    with pytest.raises(UserError, match=r"never ran in the new image \(CannotPullContainerError"):
        run_pre_deploy(world.aws, props)


def test_a_command_past_its_time_is_stopped_and_fails(world, props):
    world.one_off_task(GROUP, ["still migrating"], exit_code=0, stops_after=10_000,
                       started_by="shipyard-pre-deploy")  # fmt: skip
    with pytest.raises(UserError, match="still ran after 2 s; it was stopped"):
        run_pre_deploy(world.aws, props)
    (arn,) = world.client("ecs").list_tasks(cluster="shipyard-sample-staging")["taskArns"]
    task = world.client("ecs").describe_tasks(cluster="shipyard-sample-staging", tasks=[arn])
    assert task["tasks"][0]["desiredStatus"] == "STOPPED"


def test_only_a_new_image_is_a_change_to_run_it_for():
    provider = PreDeployCommandProvider()
    old = {"image": "repo@sha256:" + "1" * 64, "taskDefinition": "td:1", "command": ["a"]}
    assert provider.diff("x", old, {**old, "image": NEW_IMAGE}).changes is True
    assert provider.diff("x", old, {**old, "taskDefinition": "td:2"}).changes is False
    assert provider.diff("x", old, {**old, "command": ["b"]}).changes is False


def test_the_engine_can_load_the_provider_from_the_installed_package(tmp_path):
    blob = serialize_provider(PreDeployCommandProvider())
    assert unpickled_where_the_engine_does(blob, tmp_path) == [
        "shipyard.program.pre_deploy", "PreDeployCommandProvider"
    ]
    assert len(base64.b64decode(blob)) < 2000


# ---- EC2: on a serving instance, through SSM Run Command --------------------------------

QA_GROUP = "/shipyard/shipyard-sample-qa"


@pytest.fixture
def ec2_props(released_qa) -> dict:
    return {
        "target": "ec2", "group": "shipyard-sample-qa", "image": NEW_IMAGE,
        "command": ["python", "manage.py", "migrate"], "logGroup": QA_GROUP,
        "region": "us-east-1", "profile": "", "timeoutSeconds": 2, "pollSeconds": 0.05,
    }  # fmt: skip


def test_on_ec2_the_new_image_runs_it_on_a_serving_instance(world, ec2_props):
    requests = world.one_off_command(QA_GROUP, ["applied"], ["InProgress", "Success"])
    assert run_pre_deploy(world.aws, ec2_props) == 0
    (request,) = requests
    (script,) = request["Parameters"]["commands"]
    assert f"image={NEW_IMAGE}\n" in script
    assert script.rstrip().endswith('"$image" python manage.py migrate')
    assert "--log-opt awslogs-stream=pre-deploy/" in script
    assert request["Parameters"]["executionTimeout"] == ["2"]


def test_on_ec2_a_failing_command_fails_with_its_exit_code_and_last_lines(world, ec2_props):
    world.one_off_command(
        QA_GROUP, ["relation users already exists"], ["InProgress", "Failed"], response_code=1
    )
    with pytest.raises(UserError) as raised:
        run_pre_deploy(world.aws, ec2_props)
    said = str(raised.value)
    assert "exited with 1 (Failed) in the new image" in said
    assert "the group stays on the previous release" in said
    assert "relation users already exists" in said


def test_on_ec2_a_command_past_its_time_is_cancelled(world, ec2_props):
    requests = world.one_off_command(QA_GROUP, ["still migrating"], ["InProgress"])
    with pytest.raises(UserError, match="still ran after 2 s; it was stopped"):
        run_pre_deploy(world.aws, ec2_props)
    # SSM kills the script outright: the container is removed by a command of its own, to
    # the same instance (a deploy role may not cancel commands).
    script, removal = requests
    (name,) = [word for word in script["Parameters"]["commands"][0].split()
               if word.startswith("shipyard-pre-deploy-")][:1]  # fmt: skip
    assert removal["InstanceIds"] == script["InstanceIds"]
    assert removal["Parameters"]["commands"] == [f"docker rm --force {name}"]
    assert world.cancelled_commands == []


def test_an_image_it_ran_for_before_runs_nothing_again(world, props, monkeypatch):
    """A rollback to a release whose migrations are in: an older migration tool may refuse
    the newer schema, so nothing runs; the history moves the image to its end."""
    requests = world.one_off_task(GROUP, ["ok"], exit_code=0, started_by="shipyard-pre-deploy")
    monkeypatch.setattr(pre_deploy, "connect", lambda region, profile: world.aws)
    provider = PreDeployCommandProvider()
    older, newer = "repo@sha256:" + "1" * 64, NEW_IMAGE
    olds = {**props, "image": newer, "migratedImages": [older, newer]}
    result = provider.update("x", olds, {**props, "image": older})
    assert requests == []
    assert result.outs["migratedImages"] == [newer, older]
    # A state from before the history was kept counts its own image as run for.
    result = provider.update("x", {**props, "image": older}, {**props, "image": older})
    assert requests == [] and result.outs["migratedImages"] == [older]
    # A new image runs it.
    third = "repo@sha256:" + "3" * 64
    result = provider.update("x", olds, {**props, "image": third})
    assert len(requests) == 1
    assert result.outs["migratedImages"] == [older, newer, third]
