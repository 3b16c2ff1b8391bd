"""ECS Exec (`exec`): off by default; where a stack turns it on, the service allows it and
the task role may open Session Manager's channels and log the session, and nothing more."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools import pulumi_mocks
from shipyard.config import SettingsError

from .conftest import SHIPPED_STACKS, evaluated

SERVICE = "aws:ecs/service:Service"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:/shipyard/shipyard-sample-{}"
CHANNELS = [
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
]  # fmt: skip


def with_exec(stack: str, project_dir: Path | None = None) -> pulumi_mocks.Evaluation:
    config = {**pulumi_mocks.stack_config(stack), "shipyard:exec": True}
    more = {"project_dir": project_dir} if project_dir else {}
    return pulumi_mocks.evaluate(stack, config=config, **more)


def task_role_statements(evaluation: pulumi_mocks.Evaluation) -> list[dict]:
    policies = [p for p in evaluation.of_type(ROLE_POLICY) if p.name.endswith("-task")]
    return [s for p in policies for s in json.loads(p.inputs["policy"])["Statement"]]


@pytest.mark.parametrize("stack", [s for s in SHIPPED_STACKS if s != "qa"])
def test_off_by_default_the_service_allows_no_shell_and_the_task_role_is_empty(stack):
    evaluation = evaluated(stack)
    assert "enableExecuteCommand" not in evaluation.one(SERVICE).inputs
    assert task_role_statements(evaluation) == []


def test_turned_on_the_service_allows_it_and_the_task_role_gets_exactly_the_channels():
    evaluation = with_exec("staging")
    assert evaluation.one(SERVICE).inputs["enableExecuteCommand"] is True
    group = LOG_GROUP_ARN.format("staging")
    assert task_role_statements(evaluation) == [
        {"Effect": "Allow", "Action": CHANNELS, "Resource": ["*"]},
        {"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": ["*"]},
        {"Effect": "Allow", "Action": ["logs:DescribeLogStreams"], "Resource": [group]},
        {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{group}:*"]},
    ]  # fmt: skip
    # Nothing else is added: the same resources as without it, and the task role's policy.
    added = evaluation.resources.keys() - evaluated("staging").resources.keys()
    assert added == {(ROLE_POLICY, "shipyard-sample-staging-task")}


def test_a_protected_stack_may_turn_it_on_in_its_own_config():
    evaluation = with_exec("prod")
    assert evaluation.one(SERVICE).inputs["enableExecuteCommand"] is True


@pytest.fixture
def project_defaulting_exec_on(tmp_path) -> Path:
    """This project with Pulumi.yaml's default for exec flipped to true."""
    return pulumi_mocks.project_with_defaults(tmp_path, exec=True)


def test_a_protected_stack_never_takes_it_from_the_projects_default(project_defaulting_exec_on):
    mocks = pulumi_mocks.RecordingMocks()
    with pytest.raises(SettingsError) as raised:
        pulumi_mocks.evaluate("prod", project_dir=project_defaulting_exec_on, mocks=mocks)
    assert mocks.resources == {}
    assert [p for p in raised.value.problems if p.startswith("shipyard:exec:")] == [
        "shipyard:exec: Pulumi.yaml's default turns ECS Exec on for every stack, and this one "
        "has protectResources; set the default back to false, and set shipyard:exec: true in "
        "the stack file of each stack that should have it"
    ]
    # An unprotected stack takes the default as any other.
    staging = pulumi_mocks.evaluate("staging", project_dir=project_defaulting_exec_on)
    assert staging.one(SERVICE).inputs["enableExecuteCommand"] is True
