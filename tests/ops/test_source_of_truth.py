"""One source of truth for the image each environment runs: its release record.

The pipeline, a plain `pulumi up` and the CLI read and write the same record (an SSM
parameter the stack manages), so a rollback made from a laptop is never silently undone.
"""

from __future__ import annotations

import pytest

from shipyard.cli.model import IMAGE_DIGEST_KEY
from shipyard.errors import FAILED, OK, UNHEALTHY, USAGE

from .conftest import COMMITS, healthy, healthy_ec2, updates


@pytest.fixture
def prod(stacks, world):
    """prod (a release stack) after two pipeline deploys and a rollback from a laptop."""
    stacks.add("prod", world.ecs_environment("prod"))
    first = stacks.deploy_release("prod", COMMITS[0])
    second = stacks.deploy_release("prod", COMMITS[1])
    return first, second


def rolled_back(cli, world, prod) -> str:
    healthy(world)
    assert cli("rollback", "prod", "--yes") == OK
    return prod[0]


def test_a_pipeline_run_that_changes_no_image_keeps_the_rollback(cli, stacks, world, prod):
    rolled_back(cli, world, prod)
    # The pipeline's checkout has no pin: the stack deploys its release record.
    assert IMAGE_DIGEST_KEY not in stacks.config("prod")
    assert cli("deploy", "prod", "--yes") == OK
    assert stacks.outputs("prod")["image"].endswith(prod[0])
    assert world.release_record("prod") == prod[0]


def test_a_plain_pulumi_up_keeps_the_rollback(cli, stacks, world, prod):
    rolled_back(cli, world, prod)
    stacks.up("prod", "pulumi up", lambda line: None)
    assert world.release_record("prod") == prod[0]
    assert stacks.outputs("prod")["image"].endswith(prod[0])


def test_the_pipelines_next_image_does_not_silently_replace_a_rollback(
    cli, stacks, world, prod, capsys
):
    rolled_back(cli, world, prod)
    updates_before = len(updates(stacks, "prod"))
    third = world.push_image(COMMITS[2])  # built by the next run on main
    assert cli("deploy", "prod", "--image", third, "--yes") == FAILED
    err = " ".join(capsys.readouterr().err.split())
    assert f"prod runs a rollback: release 3 ({prod[0][:19]}) was put back by" in err
    assert f"Deploying {third[:19]} would replace it, so nothing was changed" in err
    assert "--replace-rollback" in err
    assert len(updates(stacks, "prod")) == updates_before
    assert world.release_record("prod") == prod[0]
    # Once the fix is in, the operator says so.
    assert cli("deploy", "prod", "--image", third, "--replace-rollback", "--yes") == OK
    assert world.release_record("prod") == third
    assert IMAGE_DIGEST_KEY not in stacks.config("prod")


def test_a_pipeline_deploy_records_the_release_and_clears_its_pin(cli, stacks, world, prod):
    healthy(world)
    third = world.push_image(COMMITS[2])
    assert cli("deploy", "prod", "--image", third, "--yes") == OK
    assert world.release_record("prod") == third
    assert IMAGE_DIGEST_KEY not in stacks.config("prod")
    assert cli("releases", "prod") == OK
    assert "deploy" in cli.table()["3"][3]


def test_deploying_the_image_that_runs_changes_nothing(cli, stacks, world, prod):
    before = len(updates(stacks, "prod"))
    assert cli("deploy", "prod", "--image", prod[1], "--yes") == OK
    assert "prod already runs" in cli.printed
    assert len(updates(stacks, "prod")) == before


@pytest.mark.parametrize(
    ("image", "code", "said"),
    [
        ("latest", USAGE, "--image 'latest' is not an image digest"),
        ("sha256:" + "e" * 64, FAILED, "is not in ECR repository shipyard-sample"),
    ],
)
def test_deploy_refuses_an_image_it_cannot_deploy(
    cli, stacks, world, prod, capsys, image, code, said
):
    before = len(updates(stacks, "prod"))
    assert cli("deploy", "prod", "--image", image, "--yes") == code
    assert said in " ".join(capsys.readouterr().err.split())
    assert len(updates(stacks, "prod")) == before


def test_status_says_when_what_runs_differs_from_the_record(cli, stacks, world, prod):
    healthy(world)
    assert cli("status", "prod") == OK
    table = cli.table()
    assert table["release record"] == [prod[1]]
    assert table["agree"] == ["yes"]
    # Someone points the service at another task definition outside Pulumi.
    outputs = stacks.outputs("prod")
    world.run_on_ecs(outputs, f"{outputs['repositoryUrl']}@{prod[0]}")
    cli.output.truncate(0)
    assert cli("status", "prod") == UNHEALTHY
    agree = cli.table()["agree"][0]
    assert agree.startswith(f"no: the stack deployed {prod[1][:19]} but task definition (ECS)")
    assert prod[0][:19] in agree and "pulumi up --refresh" in agree


def test_status_of_ec2_reads_the_image_from_the_launch_template(cli, stacks, world):
    stacks.add("qa", world.ec2_environment("qa"))
    world.instance_refresh("Successful")
    digest = stacks.deploy_release("qa", COMMITS[0])
    healthy_ec2(world)
    assert cli("status", "qa") == OK
    assert cli.table()["running: launch template (EC2)"] == [digest]
