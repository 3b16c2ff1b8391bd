"""Faults and bad input: a clear message, a non-zero exit, and nothing left half-changed.

A pin is either applied and deployed, or reverted and reported.
"""

from __future__ import annotations

import time

import pytest

from shipyard.cli.model import IMAGE_DIGEST_KEY
from shipyard.errors import FAILED, INTERRUPTED, OK, UNHEALTHY, USAGE, UserError

from .conftest import COMMITS, healthy, healthy_ec2, updates


def pin_unchanged(stacks, env: str, before: dict) -> bool:
    return stacks.config(env).get(IMAGE_DIGEST_KEY) == before.get(IMAGE_DIGEST_KEY)


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["status", "prdo"], USAGE, "unknown environment 'prdo'; known: dev"),
        (["rollback", "prod"], USAGE, "unknown environment 'prod'"),
        (["promote", "dev", "qa"], USAGE, "unknown environment 'qa'"),
        (["rollback", "dev", "--to", "latest"], USAGE, "--to 'latest' is neither a release number"),
        (["rollback", "dev", "--to", "sha256:abc"], USAGE, "neither a release number nor a digest"),
        (["rollback", "dev", "--to", "9"], USAGE, "there is no release 9; choose one of 1, 2, 3"),
        (["logs", "dev", "--since", "ten minutes"], USAGE, "is not a duration; use a number and s"),
        (["logs", "dev", "--since", "0m"], USAGE, "is not a duration"),
        (["promote", "dev", "dev"], USAGE, "two different environments"),
        (["deploy", "dev", "--timeout", "0"], USAGE, "Invalid value for '--timeout'"),
        (["frobnicate"], USAGE, "No such command 'frobnicate'"),
    ],
)
def test_bad_input_is_refused_before_anything_changes(
    cli, stacks, dev, capsys, argv, code, message
):
    calls_before = list(stacks.calls)
    assert cli(*argv) == code
    assert message in " ".join(capsys.readouterr().err.split())
    assert stacks.calls == calls_before


def test_no_previous_release(cli, stacks, world, capsys):
    stacks.add("dev", world.ecs_environment("dev"))
    stacks.deploy_build("dev", COMMITS[0])
    assert cli("rollback", "dev", "--yes") == FAILED
    assert "no previous release to roll back to" in capsys.readouterr().err
    assert IMAGE_DIGEST_KEY not in stacks.config("dev")


def test_never_deployed_environment(cli, stacks, world, capsys):
    stacks.add("dev", world.ecs_environment("dev"))
    assert cli("releases", "dev") == FAILED
    assert (
        "dev has not been deployed yet; run `shipyard deploy dev` first" in capsys.readouterr().err
    )


def test_rollback_target_no_longer_in_ecr(cli, stacks, world, dev, capsys):
    world.delete_image(dev[1])
    assert cli("rollback", "dev", "--to", dev[1], "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert f"{dev[1][:19]} is not in ECR repository shipyard-sample, which dev deploys" in err
    assert "expired or was deleted, or it is another repository's image" in err
    assert "dev was not changed" in err
    assert IMAGE_DIGEST_KEY not in stacks.config("dev") and not updates(stacks)[3:]


def test_rollback_to_a_release_whose_image_expired(cli, stacks, world, dev, capsys):
    world.delete_image(dev[0])
    assert cli("rollback", "dev", "--to", "1", "--yes") == FAILED
    assert "release 1 (commit 111111111111) is no longer in ECR" in capsys.readouterr().err
    assert cli("releases", "dev") == OK
    assert "(expired)" in cli.table()["1"][1]


def test_stack_locked_by_another_update_reverts_the_pin(cli, stacks, world, dev, capsys):
    stacks.locked.add("dev")
    assert cli("rollback", "dev", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "stack dev is locked by another update" in err and "pulumi cancel -s dev" in err
    assert "the pin was reverted" in err
    assert IMAGE_DIGEST_KEY not in stacks.config("dev")
    assert stacks.calls[-1] == ("remove_config", "dev", IMAGE_DIGEST_KEY)


def test_a_pin_replaced_by_a_failed_rollback_comes_back(cli, stacks, world, dev, capsys):
    healthy(world)
    stacks.set_config("dev", IMAGE_DIGEST_KEY, dev[2])  # a pin someone set by hand
    stacks.locked.add("dev")
    assert cli("rollback", "dev", "--to", "1", "--yes") == FAILED
    assert stacks.config("dev")[IMAGE_DIGEST_KEY] == dev[2]
    assert stacks.calls[-1] == ("set_config", "dev", IMAGE_DIGEST_KEY, dev[2])


def test_not_confirmed_changes_nothing(cli, stacks, world, dev, capsys):
    cli.answers.append(False)
    assert cli("rollback", "dev") == FAILED
    assert "not confirmed; nothing was changed" in capsys.readouterr().err
    assert IMAGE_DIGEST_KEY not in stacks.config("dev") and len(updates(stacks)) == 3


def test_aws_access_denied(cli, stacks, world, dev, capsys):
    world.fail("ecr", "DescribeImages", "AccessDeniedException", times=99)
    assert cli("releases", "dev") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert (
        "AWS denied access while trying to list the images of ECR repository shipyard-sample" in err
    )
    assert "AccessDeniedException" in err and "AWS_PROFILE" in err


def test_throttling_is_retried_then_succeeds(cli, stacks, world, dev):
    world.fail("ecr", "DescribeImages", "ThrottlingException", times=2)
    assert cli("releases", "dev") == OK
    assert world.calls["DescribeImages"] == 3  # two throttled, the third answered by moto
    assert "3" in cli.table()


def test_deploy_that_never_becomes_healthy_times_out_with_the_state(
    cli, stacks, world, dev, capsys
):
    # Moto's ECS service never runs a task: runningCount stays 0, the rollout IN_PROGRESS.
    stacks.git_head = "4" * 40
    started = time.monotonic()
    assert cli("deploy", "dev", "--yes", "--timeout", "1") == UNHEALTHY
    assert time.monotonic() - started < 30
    err = " ".join(capsys.readouterr().err.split())
    assert "gave up trying to wait for ECS service shipyard-sample-dev: timed out after 1 s" in err
    assert "tasks (running/desired): 0/2" in err and "last deployment: IN_PROGRESS" in err


def test_rollback_whose_targets_stay_unhealthy_reports_and_keeps_the_deployed_pin(
    cli, stacks, world, dev, capsys
):
    world.tasks_running()
    world.targets("unhealthy", "Health checks failed with these codes: [502]")
    assert cli("rollback", "dev", "--yes", "--timeout", "1") == UNHEALTHY
    err = " ".join(capsys.readouterr().err.split())
    assert "gave up trying to wait for healthy targets: timed out" in err
    assert "unhealthy Health checks failed with these codes: [502]" in err
    # The update went through: the record and the pin (dev builds, so it keeps its pin)
    # say what is deployed.
    assert world.release_record("dev") == dev[1] == stacks.config("dev")[IMAGE_DIGEST_KEY]
    assert stacks.outputs("dev")["image"].endswith(dev[1])


def test_rolled_back_instance_refresh_fails_the_update_and_says_what_runs(
    cli, stacks, world, capsys
):
    stacks.add("qa", world.ec2_environment("qa"))
    world.instance_refresh("RollbackSuccessful", "Instance refresh failed; rolled back")
    # `pulumi up` itself waits for the refresh (InstanceRefreshWait) and fails.
    assert cli("deploy", "qa", "--image", world.push_image(COMMITS[0]), "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "pulumi failed on stack qa" in err
    assert (
        "the instance refresh of shipyard-sample-qa ended RollbackSuccessful (Instance refresh "
        "failed; rolled back); the group runs launch template version 1, the stack asks for 2"
    ) in err
    assert "pulumi up --refresh" in err
    assert stacks.history("qa")[0].result == "failed"


def test_rollback_on_ec2_whose_refresh_rolls_back_reverts_the_pin(cli, stacks, world, capsys):
    stacks.add("qa", world.ec2_environment("qa"))
    world.instance_refresh("Successful")
    healthy_ec2(world)
    first = stacks.deploy_release("qa", COMMITS[0])
    stacks.deploy_release("qa", COMMITS[1])
    world.instance_refresh("RollbackSuccessful", "alarm shipyard-sample-qa-5xx in ALARM")
    assert cli("rollback", "qa", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "ended RollbackSuccessful (alarm shipyard-sample-qa-5xx in ALARM)" in err
    # AWS put the group back on what ran before, so the pin goes back too: they agree.
    assert "the pin was reverted" in err
    assert IMAGE_DIGEST_KEY not in stacks.config("qa")
    assert not stacks.outputs("qa")["image"].endswith(first)


def test_promote_from_an_unhealthy_environment_is_refused(cli, stacks, world, dev, capsys):
    stacks.add("staging", world.ecs_environment("staging"))
    staging_before = stacks.config("staging")
    world.tasks_running()
    world.targets("healthy")
    world.alarm("shipyard-sample-dev-5xx")
    assert cli("promote", "dev", "staging", "--yes") == UNHEALTHY
    err = " ".join(capsys.readouterr().err.split())
    assert "dev is not healthy, so its image is not promoted" in err
    assert "alarms in ALARM: shipyard-sample-dev-5xx" in err
    assert pin_unchanged(stacks, "staging", staging_before)
    assert not [call for call in stacks.calls if call[1] == "staging"]


@pytest.mark.parametrize("deployed", [True, False])
def test_promote_between_repositories_is_refused(cli, stacks, world, dev, capsys, deployed):
    # Never deployed, the target has no outputs: its own config says where it deploys from.
    outputs = world.ecs_environment("staging") if deployed else {}
    stacks.add("staging", outputs)
    stacks.envs["staging"].config["shipyard:serviceName"] = "other-service"
    assert cli("promote", "dev", "staging", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "dev deploys from ECR repository shipyard-sample but staging from other-service" in err
    assert "they are different services (shipyard:serviceName)" in err
    assert not [call for call in stacks.calls if call[1] == "staging"]


def test_ctrl_c_during_the_health_wait(cli, stacks, world, dev, capsys):
    world.raise_during("ecs", "DescribeServices", KeyboardInterrupt())
    assert cli("rollback", "dev", "--yes") == INTERRUPTED
    err = " ".join(capsys.readouterr().err.split())
    assert f"interrupted while waiting for health; dev is updated to {dev[1]}" in err
    assert "shipyard status dev" in err
    # Interrupted after the update: what is deployed, the record and the pin agree.
    assert world.release_record("dev") == dev[1] == stacks.config("dev")[IMAGE_DIGEST_KEY]


def test_ctrl_c_during_the_update_reverts_the_pin(cli, stacks, world, dev, capsys):
    stacks.up_failures["dev"] = KeyboardInterrupt()
    assert cli("rollback", "dev", "--yes") == INTERRUPTED
    err = capsys.readouterr().err
    assert "the pin was reverted" in err and "interrupted" in err
    assert IMAGE_DIGEST_KEY not in stacks.config("dev")


def test_logs_for_a_group_that_does_not_exist(cli, stacks, world, dev, capsys):
    world.client("logs").delete_log_group(logGroupName="/shipyard/shipyard-sample-dev")
    assert cli("logs", "dev") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "log group /shipyard/shipyard-sample-dev does not exist" in err


def test_no_terminal_to_confirm_on(monkeypatch, capsys):
    from shipyard.cli import main as cli_main

    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    runtime = cli_main.default_runtime()
    with pytest.raises(Exception, match="pass --yes"):
        runtime.confirm("Deploy?")


def test_status_shows_a_deployment_the_circuit_breaker_failed(cli, stacks, world, dev):
    reason = "ECS deployment circuit breaker: tasks failed to start."
    world.deployment_failed(reason)
    world.targets("healthy")
    assert cli("status", "dev") == UNHEALTHY
    assert cli.table()["last deployment"] == [f"FAILED {reason}"]
    assert cli.table()["healthy"] == ["no"]


def test_deploy_whose_ecs_deployment_fails_stops_waiting_and_reports_it(
    cli, stacks, world, dev, capsys
):
    world.deployment_failed("ECS deployment circuit breaker: rolling back.")
    world.targets("healthy")
    stacks.git_head = "5" * 40
    assert cli("deploy", "dev", "--yes", "--timeout", "600") == UNHEALTHY
    err = " ".join(capsys.readouterr().err.split())
    assert "wait for ECS service shipyard-sample-dev: it failed" in err
    assert "last deployment: FAILED ECS deployment circuit breaker: rolling back." in err


# ---- two operators, and faults that must not leave the pin and the deployment apart ----------


def deployed_digest(stacks, env: str) -> str:
    return stacks.outputs(env)["image"].split("@")[1]


def test_a_pin_overwritten_before_the_update_ends_agreeing_and_says_so(
    cli, stacks, world, dev, capsys
):
    healthy(world)
    # Another operator pins release 1 between this rollback's preview and its update.
    stacks.before_up["dev"] = lambda: stacks.set_config("dev", IMAGE_DIGEST_KEY, dev[0])
    assert cli("rollback", "dev", "--to", "2", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert f"the update deployed {dev[0]}, not {dev[1]}" in err
    assert "changed by another change to the stack before the update ran" in err
    assert "the pin says the same, so they agree" in err
    assert stacks.config("dev")[IMAGE_DIGEST_KEY] == deployed_digest(stacks, "dev") == dev[0]


def test_a_pin_changed_after_the_update_says_how_they_differ_and_the_fix(
    cli, stacks, world, dev, capsys
):
    healthy(world)
    stacks.after_up["dev"] = lambda: stacks.set_config("dev", IMAGE_DIGEST_KEY, dev[0])
    assert cli("rollback", "dev", "--to", "2", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert f"dev runs {dev[1]} as asked; but the pin now says {dev[0]}" in err
    assert f"`pulumi config set {IMAGE_DIGEST_KEY} {dev[1]} -s dev`" in err
    assert deployed_digest(stacks, "dev") == dev[1]


def test_a_rollback_meeting_another_operators_lock_leaves_their_pin_alone(
    cli, stacks, world, dev, capsys
):
    stacks.locked.add("dev")
    # The other operator's update pinned release 1 while holding the lock.
    stacks.before_up["dev"] = lambda: stacks.set_config("dev", IMAGE_DIGEST_KEY, dev[0])
    assert cli("rollback", "dev", "--to", "2", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "stack dev is locked by another update" in err
    assert f"the pin was left as it is: {IMAGE_DIGEST_KEY} changed to {dev[0]} meanwhile" in err
    assert stacks.config("dev")[IMAGE_DIGEST_KEY] == dev[0]


@pytest.mark.parametrize(
    ("fault", "said"),
    [(KeyboardInterrupt(), "it was interrupted"), (OSError("disk full"), "disk full")],
)
def test_a_revert_that_fails_gives_the_command_that_restores_the_pin(
    cli, stacks, world, dev, capsys, fault, said
):
    stacks.up_failures["dev"] = UserError("pulumi failed on stack dev: boom")
    # The pin is written, then putting it back fails.
    failure = fault if isinstance(fault, KeyboardInterrupt) else UserError(str(fault))
    stacks.config_faults["dev"] = [None, failure]
    assert cli("rollback", "dev", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert f"putting the pin back failed ({said})" in err
    assert f"restore it with `pulumi config rm {IMAGE_DIGEST_KEY} -s dev`" in err


def test_an_image_deleted_after_the_check_is_caught_before_the_update(
    cli, stacks, world, dev, capsys
):
    stacks.after_preview["dev"] = lambda: world.delete_image(dev[1])
    assert cli("rollback", "dev", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert f"{dev[1][:19]} is no longer in ECR repository shipyard-sample" in err
    assert "the pin was reverted" in err
    assert len(updates(stacks)) == 3 and IMAGE_DIGEST_KEY not in stacks.config("dev")


def test_status_of_a_service_deleted_outside_pulumi_says_it_is_gone(
    cli, stacks, world, dev, capsys
):
    world.client("ecs").delete_service(
        cluster="shipyard-sample-dev", service="shipyard-sample-dev", force=True
    )
    assert cli("status", "dev") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "ECS service shipyard-sample-dev in cluster shipyard-sample-dev is INACTIVE" in err
    assert "deleted outside Pulumi" in err and "pulumi up --refresh" in err


def test_releases_without_history_says_why(cli, stacks, world, dev):
    stacks.envs["dev"].history.clear()
    assert cli("releases", "dev") == OK
    assert "no releases: Pulumi's history of dev has no succeeded update" in cli.printed
    assert dev[2] in cli.printed


def test_logs_since_further_back_than_cloudwatch_keeps(cli, stacks, world, dev, capsys):
    assert cli("logs", "dev", "--since", "99999999d") == USAGE
    err = " ".join(capsys.readouterr().err.split())
    assert "reaches back further than CloudWatch keeps logs (at most 3653 days)" in err


def test_logs_of_a_group_nothing_wrote_to_yet(cli, stacks, world, dev):
    assert cli("logs", "dev") == OK
    assert "no logs: nothing has written to /shipyard/shipyard-sample-dev yet" in cli.printed


def test_rollback_to_a_digest_of_another_repository(cli, stacks, world, dev, capsys):
    assert cli("rollback", "dev", "--to", "sha256:" + "e" * 64, "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "is not in ECR repository shipyard-sample, which dev deploys from" in err
    assert "or it is another repository's image; dev was not changed" in err


def test_a_repository_missing_in_the_region_says_what_to_check(cli, stacks, world, dev, capsys):
    world.client("ecr").delete_repository(repositoryName="shipyard-sample", force=True)
    assert cli("releases", "dev") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert "ECR repository shipyard-sample does not exist in us-east-1" in err
    assert "check the stack's aws:region (us-east-1)" in err


def test_credentials_expiring_during_the_wait_say_the_update_went_through(
    cli, stacks, world, dev, capsys
):
    world.fail("ecs", "DescribeServices", "ExpiredTokenException", times=99)
    assert cli("rollback", "dev", "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert f"the update went through (dev is updated to {dev[1]})" in err
    assert "the AWS credentials expired" in err and "aws sso login" in err
    assert "shipyard status dev" in err
    assert world.release_record("dev") == deployed_digest(stacks, "dev") == dev[1]


def test_every_error_is_one_line_when_output_is_not_a_terminal(cli, stacks, world, dev, capsys):
    stacks.up_failures["dev"] = UserError("pulumi failed on stack dev:\n  error: one\n  error: two")
    assert cli("rollback", "dev", "--yes") == FAILED
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: pulumi failed on stack dev: error: one error: two; the pin")
