"""The CLI and ECS's service deployments (prod deploys canary), against moto with the
deployment states moto lacks injected: progress, the outcome, and instant rollback."""

from __future__ import annotations

import pytest

from shipyard.cli.model import IMAGE_DIGEST_KEY
from shipyard.errors import INTERRUPTED, OK, UNHEALTHY

from .conftest import COMMITS, healthy, updates

CANARY = [
    ("IN_PROGRESS", "SCALE_UP", 0),
    ("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10),
    ("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 100),
    ("IN_PROGRESS", "BAKE_TIME", 100),
    ("SUCCESSFUL", "CLEAN_UP", 100),
]
BAKING = [("IN_PROGRESS", "BAKE_TIME", 100)]
ALARMED = [
    ("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10),
    ("ROLLBACK_IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 0),
    ("ROLLBACK_SUCCESSFUL", "CLEAN_UP", 0),
]


@pytest.fixture
def prod(stacks, world):
    """prod on ECS, canary, with two releases; returns (outputs, the two digests)."""
    outputs = world.ecs_environment("prod", desired=3, strategy="canary")
    stacks.add("prod", outputs)
    world.service_deployment(outputs, [("SUCCESSFUL", "CLEAN_UP", 100)], "earlier")
    digests = [stacks.deploy_release("prod", commit) for commit in COMMITS[:2]]
    healthy(world)
    return outputs, digests


def said(capsys) -> str:
    """What the command printed as its error, on one line."""
    return " ".join(capsys.readouterr().err.split())


def image(outputs, digest: str) -> str:
    return f"{outputs['repositoryUrl']}@{digest}"


def test_deploy_follows_the_stages_and_traffic_and_succeeds_only_on_successful(
    cli, stacks, world, prod
):
    outputs, digests = prod
    new = world.push_image("new")
    stacks.before_up["prod"] = lambda: world.service_deployment(
        outputs, CANARY, image(outputs, digests[1]), step=0.3
    )
    assert cli("deploy", "prod", "--image", new, "--yes") == OK
    shown = [line.split("ECS: ", 1)[1] for line in cli.printed.splitlines() if "ECS: " in line]
    expected = [
        "IN_PROGRESS, stage SCALE_UP, 0% of production traffic new",
        "IN_PROGRESS, stage PRODUCTION_TRAFFIC_SHIFT, 10% of production traffic new",
        "IN_PROGRESS, stage PRODUCTION_TRAFFIC_SHIFT, 100% of production traffic new",
        "IN_PROGRESS, stage BAKE_TIME, 100% of production traffic new",
        "SUCCESSFUL, stage CLEAN_UP, 100% of production traffic new",
    ]
    # Each in order (the watcher samples; the follower always shows the last).
    assert [line for line in expected if line in shown] == expected
    assert "prod is healthy" in cli.printed
    assert stacks.envs["prod"].outputs["image"].endswith(new)


def test_a_rollback_by_an_alarm_is_a_failure_that_names_the_alarm(cli, stacks, world, prod, capsys):
    outputs, digests = prod
    new = world.push_image("bad")
    stacks.before_up["prod"] = lambda: world.service_deployment(
        outputs, ALARMED, image(outputs, digests[1]), step=0.2,
        rollback_reason="CloudWatch alarm shipyard-sample-prod-5xx went into ALARM",
    )  # fmt: skip
    assert cli("deploy", "prod", "--image", new, "--yes") == UNHEALTHY
    message = said(capsys)
    assert "was rolled back: traffic is on the previous revision again" in message
    assert "shipyard-sample-prod-5xx" in message
    assert "prod is healthy" not in cli.printed
    # The failed update is no release, and the pin is back as it was.
    assert IMAGE_DIGEST_KEY not in stacks.envs["prod"].config
    assert cli("releases", "prod") == OK
    assert new[7:19] not in cli.printed.split("Releases of prod")[-1]


def test_rollback_while_it_bakes_stops_the_deployment_with_rollback_and_nothing_else(
    cli, stacks, world, prod
):
    outputs, digests = prod
    stops = world.service_deployment(outputs, BAKING, image(outputs, digests[0]), step=0.1)
    images = len(world.aws.images("shipyard-sample"))
    calls = list(stacks.calls)
    assert cli("rollback", "prod", "--yes") == OK
    assert stops == [
        {"serviceDeploymentArn": stops[0]["serviceDeploymentArn"], "stopType": "ROLLBACK"}
    ]
    # No preview, no update, nothing built: traffic went back to the running revision.
    assert [call for call in stacks.calls if call[0] in ("preview", "up")] == [
        call for call in calls if call[0] in ("preview", "up")
    ]
    assert len(world.aws.images("shipyard-sample")) == images
    assert "ROLLBACK_SUCCESSFUL" in cli.printed
    assert f"prod is back on {digests[0][:19]}" in cli.printed
    # The pin holds the image traffic went back to, so no later `pulumi up` undoes it.
    assert stacks.envs["prod"].config[IMAGE_DIGEST_KEY] == digests[0]


def test_after_an_instant_rollback_the_pipeline_does_not_silently_deploy_again(
    cli, stacks, world, prod, capsys
):
    outputs, digests = prod
    world.service_deployment(outputs, BAKING, image(outputs, digests[0]), step=0.1)
    assert cli("rollback", "prod", "--yes") == OK
    # What runs now (ECS's rollback), as the stack reads it after the failed update.
    stacks.envs["prod"].outputs["image"] = image(outputs, digests[0])
    capsys.readouterr()
    before = len(updates(stacks, "prod"))
    assert cli("deploy", "prod", "--image", digests[1], "--yes") == 1
    message = said(capsys)
    assert f"prod is held on {digests[0][:19]} by its pin" in message
    assert "deploy it with --replace-rollback" in message
    assert len(updates(stacks, "prod")) == before
    world.service_deployment(outputs, [("SUCCESSFUL", "CLEAN_UP", 100)], "x")
    assert cli("deploy", "prod", "--image", digests[1], "--yes", "--replace-rollback") == OK
    assert stacks.envs["prod"].outputs["image"].endswith(digests[1])
    assert IMAGE_DIGEST_KEY not in stacks.envs["prod"].config


def test_a_refused_stop_changes_nothing_and_says_what_to_do(cli, stacks, world, prod, capsys):
    outputs, digests = prod
    world.service_deployment(
        outputs, BAKING, image(outputs, digests[0]), refuse_stop="ConflictException"
    )
    assert cli("rollback", "prod", "--yes") == UNHEALTHY
    message = said(capsys)
    assert "ECS did not take the rollback" in message
    assert "ConflictException" in message
    assert "the pin was reverted" in message
    assert IMAGE_DIGEST_KEY not in stacks.envs["prod"].config
    assert updates(stacks, "prod")[-1][2].startswith("shipyard deploy prod")


@pytest.mark.parametrize(("sources", "why"), [(0, "has no previous revision"),
                                               (2, "started from 2 revisions")])
def test_an_instant_rollback_with_no_single_revision_to_return_to_changes_nothing(
    cli, stacks, world, prod, capsys, sources, why
):
    outputs, digests = prod
    stops = world.service_deployment(outputs, BAKING, image(outputs, digests[0]), sources=sources)
    assert cli("rollback", "prod", "--yes") == 1
    assert why in said(capsys)
    assert stops == []
    assert IMAGE_DIGEST_KEY not in stacks.envs["prod"].config


def test_rollback_after_the_bake_pins_and_deploys_the_previous_release(cli, stacks, world, prod):
    outputs, digests = prod
    world.service_deployment(outputs, [("SUCCESSFUL", "CLEAN_UP", 100)], "x")
    before = len(updates(stacks, "prod"))
    assert cli("rollback", "prod", "--yes") == OK
    assert len(updates(stacks, "prod")) == before + 1
    assert updates(stacks, "prod")[-1][2] == f"shipyard rollback prod to {digests[0]}"
    assert stacks.envs["prod"].outputs["image"].endswith(digests[0])


def test_ctrl_c_while_ecs_moves_traffic_says_how_to_roll_back_and_reverts_the_pin(
    cli, stacks, world, prod, capsys
):
    outputs, digests = prod
    new = world.push_image("interrupted")
    stops: list = []
    stacks.before_up["prod"] = lambda: stops.extend(
        world.service_deployment(outputs, CANARY, image(outputs, digests[1]), step=0.2)
    )
    # Ctrl-C reaches `pulumi up` while the provider waits and ECS moves the traffic, after
    # the watcher was told of the 10% step.
    stacks.interrupt_wait_at["prod"] = lambda deployment: (
        deployment["targetServiceRevision"]["requestedProductionTrafficWeight"] == 100
    )
    assert cli("deploy", "prod", "--image", new, "--yes") == INTERRUPTED
    assert "10% of production traffic new" in cli.printed
    message = said(capsys)
    assert "ECS goes on with the deployment of prod" in message
    assert "`shipyard rollback prod` sends every request back" in message
    assert "the pin was reverted" in message
    assert stops == []  # interrupting never rolls back by itself


def test_the_cli_judges_ecs_deployment_itself_when_the_update_returns_early(
    cli, stacks, world, prod, capsys
):
    outputs, digests = prod
    new = world.push_image("judged")
    stacks.provider_waits = False  # `pulumi up` ends as soon as ECS took the change
    # The CLI's own follower then waits, within the tests' 1 s: short steps.
    stacks.before_up["prod"] = lambda: world.service_deployment(
        outputs, ALARMED, image(outputs, digests[1]), step=0.1,
        rollback_reason="CloudWatch alarm shipyard-sample-prod-5xx went into ALARM",
    )  # fmt: skip
    assert cli("deploy", "prod", "--image", new, "--yes") == UNHEALTHY
    assert "ROLLBACK_SUCCESSFUL, stage CLEAN_UP" in cli.printed
    assert "was rolled back" in said(capsys)
    assert "prod is healthy" not in cli.printed


def test_an_instant_rollback_that_ecs_fails_is_reported_as_a_failure(
    cli, stacks, world, prod, capsys
):
    outputs, digests = prod
    world.service_deployment(
        outputs, BAKING, image(outputs, digests[0]), step=0.1, rollback_ends="ROLLBACK_FAILED"
    )
    assert cli("rollback", "prod", "--yes") == UNHEALTHY
    message = said(capsys)
    assert "ECS's rollback of prod ended ROLLBACK_FAILED" in message
    assert "is back on" not in cli.printed


def test_the_image_ecs_rolled_back_is_not_deployed_again_by_accident(
    cli, stacks, world, prod, capsys
):
    outputs, digests = prod
    bad = world.push_image("rolled-back")
    world.service_deployment(
        outputs, ALARMED[-1:], image(outputs, digests[1]), new_image=image(outputs, bad),
        rollback_reason="CloudWatch alarm shipyard-sample-prod-5xx went into ALARM",
    )  # fmt: skip
    before = len(updates(stacks, "prod"))
    # A re-run of the pipeline job that deployed it: refused, from ECS's own record.
    assert cli("deploy", "prod", "--image", bad, "--yes") == 1
    message = said(capsys)
    assert f"ECS rolled {bad[:19]} back from prod" in message
    assert "shipyard-sample-prod-5xx" in message and "--replace-rollback" in message
    assert len(updates(stacks, "prod")) == before
    # Another image is a new fix, and goes.
    fix = world.push_image("fix")
    world.service_deployment(outputs, [("SUCCESSFUL", "CLEAN_UP", 100)], "x", new_image=fix)
    assert cli("deploy", "prod", "--image", fix, "--yes") == OK


def test_status_is_healthy_when_ecs_moved_the_tasks_to_the_second_group(cli, stacks, world, prod):
    outputs, _ = prod
    elb = world.client("elbv2")
    tasks = elb.describe_target_health(TargetGroupArn=outputs["targetGroupArn"])
    targets = [{"Id": t["Target"]["Id"], "Port": 8080} for t in tasks["TargetHealthDescriptions"]]
    elb.deregister_targets(TargetGroupArn=outputs["targetGroupArn"], Targets=targets)
    elb.register_targets(TargetGroupArn=outputs["alternateTargetGroupArn"], Targets=targets)
    world.service_deployment(outputs, [("SUCCESSFUL", "CLEAN_UP", 100)], "x")
    assert cli("status", "prod") == OK
    assert cli.table()["targets (healthy/all)"][0] == f"{len(targets)}/{len(targets)}"


def test_status_shows_the_last_service_deployment_and_why_it_ended(cli, stacks, world, prod):
    outputs, digests = prod
    world.service_deployment(
        outputs, ALARMED[-1:], image(outputs, digests[0]),
        rollback_reason="CloudWatch alarm shipyard-sample-prod-5xx went into ALARM",
    )  # fmt: skip
    cli("status", "prod")
    (row,) = [cells for what, cells in cli.table().items() if what.startswith("last service")]
    assert "ROLLBACK_SUCCESSFUL, stage CLEAN_UP" in row[0]
    assert "shipyard-sample-prod-5xx" in row[0]


def test_a_rolling_deployment_is_judged_by_ecs_record_too(cli, stacks, world, dev, capsys):
    # The circuit breaker rolled it back: the service is stable again, on the old tasks.
    outputs = stacks.envs["dev"].outputs
    stacks.before_up["dev"] = lambda: world.service_deployment(
        outputs, [("IN_PROGRESS", "", 0), ("ROLLBACK_SUCCESSFUL", "", 0)], "old", step=0.1,
        rollback_reason="tasks failed to start", failed_tasks=3,
    )  # fmt: skip
    healthy(world)
    stacks.git_head = "4" * 40  # a new commit to build
    assert cli("deploy", "dev", "--yes") == UNHEALTHY
    message = said(capsys)
    assert "ECS's deployment of dev was rolled back" in message
    assert "the circuit breaker counted 3 failed tasks" in message
    assert "dev is healthy" not in cli.printed


def test_status_shows_a_rolling_services_last_deployment_too(cli, stacks, world, dev):
    outputs = stacks.envs["dev"].outputs
    world.service_deployment(outputs, [("SUCCESSFUL", "", 0)], "old")
    healthy(world)
    assert cli("status", "dev") == OK
    assert cli.table()["last service deployment (rolling)"][0].startswith("SUCCESSFUL")


@pytest.mark.parametrize(
    ("stages", "code", "said_of_it"),
    [(CANARY, OK, "prod is healthy"), (ALARMED, UNHEALTHY, "was rolled back")],
)
def test_a_restart_is_judged_by_the_deployment_ecs_starts_for_it(
    cli, world, prod, capsys, stages, code, said_of_it
):
    outputs, digests = prod
    # The new deployment ECS starts for the restart (moto starts none).
    world.client("ecs").meta.events.register(
        "after-call.ecs.UpdateService",
        lambda **_: world.service_deployment(outputs, stages, image(outputs, digests[1]), step=0.1),
    )
    assert cli("restart", "prod", "--yes") == code
    assert f"ECS: {stages[-1][0]}, stage {stages[-1][1]}" in cli.printed
    assert said_of_it in cli.printed + said(capsys)
