"""Each command against moto and the fake adapter: what it prints, changes and returns."""

from __future__ import annotations

import re
import time

import pytest

from devtools import pulumi_mocks
from shipyard.cli.model import IMAGE_DIGEST_KEY, PlannedStep
from shipyard.errors import DANGEROUS_CHANGES, OK, UNHEALTHY

from .conftest import COMMITS, healthy, healthy_ec2


def test_releases_lists_what_ran_newest_first_and_marks_the_live_one(cli, dev):
    assert cli("releases", "dev") == OK
    rows = [line for line in cli.printed.splitlines() if re.match(r"\W*\d ", line)]
    assert [row.split()[1] for row in rows] == ["3", "2", "1"]
    assert "live" in rows[0] and "live" not in rows[1]
    for row, digest, commit in zip(rows, reversed(dev), reversed(COMMITS), strict=True):
        assert digest[7:19] in row and commit[:12] in row and "built" in row


def test_rollback_pins_the_previous_release_builds_nothing_and_waits(cli, stacks, world, dev):
    healthy(world)
    assert cli("rollback", "dev", "--yes") == OK
    # dev builds on every update, so it keeps the pin (a release stack would clear it: the
    # release record holds it there); the record says what runs either way.
    assert stacks.config("dev")[IMAGE_DIGEST_KEY] == dev[1]
    assert "stays pinned to" in cli.printed
    assert stacks.outputs("dev")["image"].endswith(f"@{dev[1]}")
    assert world.release_record("dev") == dev[1]
    up_calls = [call for call in stacks.calls if call[0] == "up"]
    assert up_calls[-1] == ("up", "dev", f"shipyard rollback dev to {dev[1]}")
    printed = cli.printed
    assert "building nothing" in printed and "dev is healthy" in printed
    # The plan shown: the task definition replaced and the service updated, no image build.
    table = cli.table()
    assert table["aws:ecs/taskDefinition:TaskDefinition"] == ["", "", "1", ""]
    assert table["aws:ecs/service:Service"] == ["", "1", "", ""]
    assert table["aws:ssm/parameter:Parameter"] == ["", "1", "", ""]
    # Leaving build mode only drops the image resource from the stack (pulumi-docker never
    # deletes pushed images); nothing is created or updated there, so nothing is built.
    assert table["docker:index/image:Image"] == ["", "", "", "1"]


@pytest.mark.parametrize(("to", "expected"), [("1", 0), ("2", 1)])
def test_rollback_to_a_release_number(cli, stacks, world, dev, to, expected):
    healthy(world)
    assert cli("rollback", "dev", "--to", to, "--yes") == OK
    assert stacks.outputs("dev")["image"].endswith(f"@{dev[expected]}")
    assert world.release_record("dev") == dev[expected]


def test_rollback_to_a_digest_and_the_history_then_shows_the_rollback(cli, stacks, world, dev):
    healthy(world)
    assert cli("rollback", "dev", "--to", dev[0], "--yes") == OK
    assert cli("releases", "dev") == OK
    newest = next(line for line in cli.printed.splitlines() if re.match(r"\W*4 ", line))
    assert "rollback" in newest and dev[0][7:19] in newest and COMMITS[0][:12] in newest
    assert "live" in newest


def test_rollback_asks_before_changing_anything(cli, stacks, world, dev):
    healthy(world)
    cli.answers.append(True)
    assert cli("rollback", "dev") == OK
    assert cli.questions == [f"Rollback dev to {dev[1][:19]}?"]


def test_deploy_builds_updates_and_waits_until_healthy(cli, stacks, world, dev):
    healthy(world)
    stacks.git_head = "4" * 40
    assert cli("deploy", "dev", "--yes") == OK
    image = stacks.outputs("dev")["image"]
    (tag,) = world.aws.image("shipyard-sample", image.split("@")[1]).tags
    assert tag.startswith(f"build-dev-{'4' * 40}-")
    assert "docker:index/image:Image" in cli.printed  # a deploy does build
    assert "dev is healthy" in cli.printed
    assert "tasks (running/desired): 2/2" in cli.printed


def test_deploy_on_ec2_waits_for_the_instance_refresh(cli, stacks, world):
    stacks.add("qa", world.ec2_environment("qa"))
    world.instance_refresh("Successful")
    healthy_ec2(world)
    digest = world.push_image(COMMITS[0])  # the pipeline's build
    assert cli("deploy", "qa", "--image", digest, "--yes") == OK
    assert "last instance refresh: Successful" in cli.printed
    assert "qa is healthy" in cli.printed


def test_promote_deploys_the_source_digest_unchanged(cli, stacks, world, dev):
    healthy(world)
    stacks.add("staging", world.ecs_environment("staging"))
    stacks.deploy_release("staging", COMMITS[0])
    assert cli("promote", "dev", "staging", "--yes") == OK
    assert stacks.outputs("staging")["image"] == stacks.outputs("dev")["image"]
    assert world.release_record("staging") == dev[2]
    assert IMAGE_DIGEST_KEY not in stacks.config("staging")
    assert "promoting" in cli.printed and "staging is healthy" in cli.printed


def test_status_reports_digest_commit_counts_targets_deployment_and_alarms(cli, stacks, world, dev):
    healthy(world)
    world.alarm("shipyard-sample-dev-cpu")
    assert cli("status", "dev") == UNHEALTHY
    printed = cli.printed
    assert dev[2] in printed and COMMITS[2] in printed
    assert "tasks (running/desired)" in printed and "2/2" in printed
    assert "targets (healthy/all)" in printed
    assert "last deployment" in printed and "COMPLETED" in printed
    assert "alarms in ALARM" in printed and "shipyard-sample-dev-cpu" in printed
    assert cli.table()["healthy"] == ["no"]


def test_status_of_a_healthy_ec2_environment(cli, stacks, world):
    stacks.add("qa", world.ec2_environment("qa"))
    world.instance_refresh("Successful")
    stacks.deploy_release("qa", COMMITS[0])
    healthy_ec2(world)
    assert cli("status", "qa") == OK
    assert "instances (in service/desired)" in cli.printed and "2/2" in cli.printed
    assert cli.table()["healthy"] == ["yes"]


def test_preview_counts_changes_by_type_and_exits_zero_when_safe(cli, stacks, world, dev):
    stacks.set_config("dev", "shipyard:healthCheckInterval", "10")
    assert cli("preview", "dev") == OK
    assert cli.table()["aws:lb/targetGroup:TargetGroup"] == ["", "1", "", ""]
    assert "DANGER" not in cli.printed


def test_preview_names_destructive_changes_and_exits_with_their_code(cli, stacks, world, dev):
    def step(op: str, resource_type: str, name: str, protected: bool = False) -> PlannedStep:
        urn = f"urn:pulumi:dev::shipyard::{resource_type}::{name}"
        return PlannedStep(op, resource_type, urn, protected)

    stacks.preview_steps["dev"] = [
        step("replace", "aws:lb/loadBalancer:LoadBalancer", "alb"),
        step("create-replacement", "aws:lb/loadBalancer:LoadBalancer", "alb"),
        step("delete", "aws:cloudwatch/logGroup:LogGroup", "logs", protected=True),
        step("update", "aws:ecs/service:Service", "svc"),
        step("delete", "aws:iam/rolePolicy:RolePolicy", "p"),
    ]
    assert cli("preview", "dev") == DANGEROUS_CHANGES
    printed = cli.printed
    assert "DANGER: replace of aws:lb/loadBalancer:LoadBalancer alb" in printed
    assert "DANGER: delete of protected aws:cloudwatch/logGroup:LogGroup logs" in printed
    assert "rolePolicy" not in "".join(line for line in printed.splitlines() if "DANGER" in line)
    # A replacement's steps count once; an ordinary delete is counted but not dangerous.
    assert cli.table()["aws:lb/loadBalancer:LoadBalancer"] == ["", "", "1", ""]
    assert cli.table()["aws:iam/rolePolicy:RolePolicy"] == ["", "", "", "1"]


def test_logs_prints_the_window_asked_for(cli, stacks, world, dev):
    now_ms = int(time.time() * 1000)
    group = "/shipyard/shipyard-sample-dev"
    world.log(
        group, "app/1", [(now_ms - 3_600_000, "old line"), (now_ms - 60_000, '{"path": "/"}')]
    )
    assert cli("logs", "dev", "--since", "10m") == OK
    assert '{"path": "/"}' in cli.printed and "old line" not in cli.printed
    assert cli("logs", "dev", "--since", "2h") == OK
    assert "old line" in cli.printed


def test_logs_follow_keeps_printing_until_interrupted(cli, stacks, world, dev):
    now_ms = int(time.time() * 1000)
    world.log("/shipyard/shipyard-sample-dev", "app/1", [(now_ms - 1000, "first")])
    world.raise_during("logs", "FilterLogEvents", KeyboardInterrupt(), after=2)
    assert cli("logs", "dev", "--follow") == 130
    assert cli.printed.count("first") == 1


def test_help_lists_every_command(capsys):
    from shipyard.cli.main import main

    assert main(["--help"]) == OK
    printed = capsys.readouterr().out
    for command in ("preview", "deploy", "releases", "rollback", "promote", "status", "logs"):
        assert command in printed


def test_the_fake_previews_a_pin_like_the_program_plans_it(stacks, world, dev):
    stacks.set_config("dev", IMAGE_DIGEST_KEY, dev[0])
    types = {(step.type, step.op) for step in stacks.preview("dev").steps}
    # Leaving build mode drops the image resource; the pin rolls the task definition and
    # changes the release record.
    assert types == {
        ("docker:index/image:Image", "delete"),
        ("aws:ecs/taskDefinition:TaskDefinition", "replace"),
        ("aws:ecs/service:Service", "update"),
        ("aws:ssm/parameter:Parameter", "update"),
    }
    assert COMMITS[2] != pulumi_mocks.TEST_COMMIT


def test_the_cli_starts_without_loading_boto3_or_the_automation_api():
    import subprocess
    import sys

    probe = (
        "import sys, shipyard.cli.main; "
        "print('boto3' in sys.modules, 'pulumi.automation' in sys.modules)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert completed.stdout.split() == ["False", "False"]


def test_deploy_of_a_new_ec2_group_has_no_refresh_to_wait_for(cli, stacks, world, monkeypatch):
    stacks.add("qa", world.ec2_environment("qa"))
    # `pulumi up` creates the group on the new version: the rollout step has nothing to do
    # (tests/ops/test_refresh_wait.py), so no refresh is started.
    monkeypatch.setattr(stacks, "_roll_out_instances", lambda env, image: None)
    started = world.accept_instance_refreshes()
    healthy_ec2(world)
    assert cli("deploy", "qa", "--image", world.push_image(COMMITS[0]), "--yes") == OK
    assert "last instance refresh: none" in cli.printed and "qa is healthy" in cli.printed
    assert started == []
