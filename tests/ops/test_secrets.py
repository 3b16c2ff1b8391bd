"""The CLI and secrets: every referenced parameter and secret must exist before anything
changes, and `shipyard restart` makes running tasks or instances read new values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from shipyard.cli.model import IMAGE_DIGEST_KEY
from shipyard.errors import FAILED, OK

from .conftest import COMMITS, healthy, healthy_ec2, updates

ROOT = Path(__file__).resolve().parents[2]


def staging(stacks, world):
    stacks.add("staging", world.ecs_environment("staging"))
    stacks.deploy_release("staging", COMMITS[0])
    stacks.calls.clear()


def referenced(stacks, env: str, variable: str) -> str:
    """What `variable` references in the environment's (moto-backed) config."""
    entries = json.loads(stacks.config(env)["shipyard:secrets"])
    return next(entry.split("=", 1)[1] for entry in entries if entry.startswith(f"{variable}="))


def test_preview_checks_every_reference_and_goes_on_when_all_exist(cli, stacks, world):
    staging(stacks, world)
    asked: list[tuple[str, dict]] = []
    for service, operation in (("ssm", "DescribeParameters"), ("secretsmanager", "DescribeSecret")):
        world.client(service).meta.events.register(
            f"before-parameter-build.{service}.{operation}",
            lambda params, operation=operation, **_: asked.append((operation, dict(params))),
        )
    assert cli("preview", "staging") == OK
    assert ("preview", "staging") in stacks.calls
    # Metadata only, one call per secret and one for the parameters.
    assert sorted(op for op, _ in asked) == ["DescribeParameters", "DescribeSecret",
                                             "DescribeSecret"]  # fmt: skip
    (parameters,) = [params for op, params in asked if op == "DescribeParameters"]
    assert parameters["ParameterFilters"][0]["Values"] == ["/shipyard-sample/staging/smtp-password"]


def test_a_missing_secret_stops_deploy_before_the_preview(cli, stacks, world, capsys):
    staging(stacks, world)
    arn = referenced(stacks, "staging", "SESSION_KEY")
    world.client("secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    world.client("ssm").delete_parameter(Name="/shipyard-sample/staging/smtp-password")
    assert cli("deploy", "staging", "--yes") == FAILED
    assert stacks.calls == []  # no preview, no update
    err = " ".join(capsys.readouterr().err.split())
    assert "2 referenced secret(s) missing" in err
    assert f"SESSION_KEY references secret {arn}, which does not exist" in err
    assert (
        "SMTP_PASSWORD references SSM parameter /shipyard-sample/staging/smtp-password in "
        "us-east-1, which does not exist"
    ) in err
    assert "nothing was changed" in err


def test_a_plain_text_parameter_is_refused(cli, stacks, world, capsys):
    staging(stacks, world)
    world.client("ssm").put_parameter(
        Name="/shipyard-sample/staging/smtp-password", Value="x", Type="String", Overwrite=True
    )
    assert cli("preview", "staging") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "which is a String parameter, stored in plain text; recreate it as SecureString" in err
    assert stacks.calls == []


def test_a_secret_scheduled_for_deletion_counts_as_missing(cli, stacks, world, capsys):
    staging(stacks, world)
    arn = referenced(stacks, "staging", "DATABASE_PASSWORD").rsplit(":", 3)[0]
    world.client("secretsmanager").delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    assert cli("preview", "staging") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "DATABASE_PASSWORD references secret" in err
    assert "is scheduled for deletion" in err and "restore-secret" in err
    assert stacks.calls == []


def test_no_permission_to_look_is_a_clear_failure_before_anything_changes(
    cli, stacks, world, capsys
):
    staging(stacks, world)
    world.fail("ssm", "DescribeParameters", "AccessDeniedException", times=1)
    assert cli("deploy", "staging", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "AWS denied access while trying to check that SSM parameter(s)" in err
    assert "/shipyard-sample/staging/smtp-password" in err
    assert stacks.calls == []


def test_a_rollback_to_an_image_whose_secrets_are_gone_changes_nothing(
    cli, stacks, world, capsys
):
    staging(stacks, world)
    stacks.deploy_release("staging", COMMITS[1])
    stacks.calls.clear()
    world.client("ssm").delete_parameter(Name="/shipyard-sample/staging/smtp-password")
    assert cli("rollback", "staging", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "SMTP_PASSWORD references SSM parameter" in err
    assert updates(stacks, "staging") == [] and IMAGE_DIGEST_KEY not in stacks.config("staging")


def test_restart_on_ecs_starts_a_new_deployment_of_the_same_task_definition(cli, stacks, world):
    staging(stacks, world)
    healthy(world)
    ecs = world.client("ecs")
    before = ecs.describe_services(
        cluster="shipyard-sample-staging", services=["shipyard-sample-staging"]
    )["services"][0]
    assert cli("restart", "staging", "--yes") == OK
    after = ecs.describe_services(
        cluster="shipyard-sample-staging", services=["shipyard-sample-staging"]
    )["services"][0]
    assert after["deployments"][0]["id"] != before["deployments"][0]["id"]
    assert after["taskDefinition"] == before["taskDefinition"]
    assert stacks.calls == []  # no preview, no update, nothing built
    assert "restarting staging: start a new deployment of ECS service" in cli.printed
    assert "staging is healthy" in cli.printed


def test_restart_on_ec2_refreshes_instances_with_the_stacks_preferences(cli, stacks, world):
    stacks.add("qa", world.ec2_environment("qa"))
    world.instance_refresh("Successful")
    stacks.deploy_release("qa", COMMITS[0])
    stacks.calls.clear()
    healthy_ec2(world)
    started = world.accept_instance_refreshes()
    assert cli("restart", "qa", "--yes") == OK
    assert started == [{
        "AutoScalingGroupName": "shipyard-sample-qa", "Strategy": "Rolling",
        "Preferences": {"MinHealthyPercentage": 100, "MaxHealthyPercentage": 200,
                        "InstanceWarmup": 15, "SkipMatching": False},
    }]  # fmt: skip
    assert stacks.calls == []
    assert "qa is healthy" in cli.printed


def test_restart_while_a_refresh_runs_says_to_wait(cli, stacks, world, capsys):
    stacks.add("qa", world.ec2_environment("qa"))
    world.instance_refresh("Successful")
    stacks.deploy_release("qa", COMMITS[0])
    world.accept_instance_refreshes(refuse_with="InstanceRefreshInProgress")
    assert cli("restart", "qa", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "an instance refresh of shipyard-sample-qa is already running" in err


def test_restart_asks_first_and_does_nothing_when_declined(cli, stacks, world, capsys):
    staging(stacks, world)
    cli.answers.append(False)
    assert cli("restart", "staging") == FAILED
    assert cli.questions == [
        "Restart staging: start a new deployment of ECS service shipyard-sample-staging, on "
        "the image it runs?"
    ]
    err = " ".join(capsys.readouterr().err.split())
    assert "not confirmed; nothing was changed" in err


def test_deploy_refuses_a_stack_file_with_a_plain_text_secret_value(
    cli, stacks, world, capsys, tmp_path
):
    staging(stacks, world)
    for name in ("infra", "app"):
        (tmp_path / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    stack_file = tmp_path / "stacks" / "Pulumi.staging.yaml"
    stack_file.write_text(
        stack_file.read_text() + "  shipyard:secretValues:\n    - API_KEY=test-only-6a7b\n"
    )
    cli.runtime.project_dir = tmp_path
    assert cli("deploy", "staging", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "a secret is in the stack file in plain text; nothing was changed" in err
    assert "shipyard:secretValues[0]" in err and "test-only-6a7b" not in err
    assert stacks.calls == []
