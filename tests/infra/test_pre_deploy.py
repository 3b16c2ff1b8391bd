"""preDeployCommand under the mocks: the step the service waits for, its inputs, and the
settings that refuse what it cannot do."""

from __future__ import annotations

import base64
import json

import pytest

from devtools import pulumi_mocks

from .conftest import evaluated, refused

STEP = "pulumi-python:dynamic/shipyard:PreDeployCommand"
SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
MIGRATE = ["python", "manage.py", "migrate"]


def with_command(stack: str, **more: object) -> pulumi_mocks.Evaluation:
    config = {**pulumi_mocks.stack_config(stack), "shipyard:preDeployCommand": MIGRATE, **more}
    return pulumi_mocks.evaluate(stack, config=config)


def test_the_service_waits_for_the_new_images_command():
    evaluation = with_command("staging")
    step = evaluation.one(STEP)
    (container,) = json.loads(evaluation.one(TASK_DEFINITION).inputs["containerDefinitions"])
    inputs = step.inputs
    assert inputs["command"] == MIGRATE
    assert inputs["image"] == container["image"]  # the new image: what a change is judged by
    assert inputs["taskDefinition"].startswith("arn:aws:ecs:")
    assert (TASK_DEFINITION, "shipyard-sample-staging-task") in step.dependencies
    assert (inputs["container"], inputs["streamPrefix"]) == ("app", "app")
    assert inputs["logGroup"] == "/shipyard/shipyard-sample-staging"
    assert inputs["timeoutSeconds"] == 600
    assert inputs["assignPublicIp"] is False
    service = evaluation.one(SERVICE)
    assert (STEP, "shipyard-sample-staging-pre-deploy") in service.dependencies
    assert step.parent_type == "shipyard:index:FargateService"


def test_on_ec2_the_groups_rollout_waits_for_it():
    evaluation = with_command("qa", **{"shipyard:sessionManager": True})
    step = evaluation.one(STEP)
    template = evaluation.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert step.inputs["target"] == "ec2"
    assert step.inputs["group"] == "shipyard-sample-qa"
    assert step.inputs["command"] == MIGRATE
    # The image the new launch template version boots, which the rollout moves to.
    boot_script = base64.b64decode(template.inputs["userData"]).decode()
    assert f"image={step.inputs['image']}\n" in boot_script
    assert ("aws:autoscaling/group:Group", "shipyard-sample-qa-group") in step.dependencies
    rollout = evaluation.one("pulumi-python:dynamic/shipyard:InstanceRefreshWait")
    assert (STEP, "shipyard-sample-qa-pre-deploy") in rollout.dependencies


def test_its_timeout_is_its_own_setting():
    evaluation = with_command("staging", **{"shipyard:preDeployTimeout": 25})
    assert evaluation.one(STEP).inputs["timeoutSeconds"] == 1500


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_without_one_there_is_no_step(stack):
    assert evaluated(stack).of_type(STEP) == []


@pytest.mark.parametrize(
    ("stack", "config", "said"),
    [
        ("staging", {"shipyard:preDeployCommand": ["CMD", "python", "migrate.py"]},
         "drop the leading CMD"),
        ("staging", {"shipyard:preDeployCommand": ["", "x"]}, "its first word) is empty"),
        ("staging", {"shipyard:preDeployCommand": ["sh", "-c", "x" * 9000]},
         "over ECS's 8192; put the steps in a script in the image"),
        ("staging", {"shipyard:preDeployTimeout": 20}, "does nothing without a preDeployCommand"),
        ("staging", {"shipyard:preDeployCommand": MIGRATE, "shipyard:preDeployTimeout": 61},
         "preDeployTimeout"),
        ("qa", {"shipyard:preDeployCommand": MIGRATE}, "whose agent needs sessionManager: true"),
    ],
)  # fmt: skip
def test_what_it_cannot_do_is_refused_by_its_key(stack, config, said):
    key = next(iter(config)) if "Timeout" not in said else "shipyard:preDeployTimeout"
    _, problems = refused(stack, key, config={**pulumi_mocks.stack_config(stack), **config})
    assert any(said in problem for problem in problems), problems


def test_its_time_counts_in_the_time_an_update_may_take():
    # prod's canary waits 5 + 10 minutes: with the margin, 45 of the session's 60 are left.
    config = {**pulumi_mocks.stack_config("prod"), "shipyard:preDeployCommand": MIGRATE,
              "shipyard:preDeployTimeout": 30}  # fmt: skip
    _, problems = refused("prod", "shipyard:preDeployTimeout", config=config)
    assert "by the strategy's waits and the pre-deploy command" in problems[0]
    with_command("prod", **{"shipyard:preDeployTimeout": 10})  # 25 minutes of waits fit
