"""`shipyard run`: one command in the environment, against moto; ECS starts, logs and stops
the task as the scripted world says (moto leaves tasks running)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from devtools.aws_world import World
from shipyard.errors import INTERRUPTED, USAGE

GROUP = "/shipyard/shipyard-sample-staging"


@pytest.fixture
def staging(runnable_staging) -> dict:
    return runnable_staging


def run_task_requests(world: World) -> list[dict]:
    return world.client("ecs").list_tasks(cluster="shipyard-sample-staging")["taskArns"]


def test_the_command_runs_once_in_the_services_task_definition_and_network(cli, world, staging):
    requests = world.one_off_task(GROUP, ["migrating", "done"], exit_code=0)
    assert cli("run", "staging", "--", "python", "manage.py", "migrate") == 0
    (request,) = requests
    service = world.client("ecs").describe_services(
        cluster="shipyard-sample-staging", services=["shipyard-sample-staging"]
    )["services"][0]
    assert request["taskDefinition"] == service["taskDefinition"]
    assert request["networkConfiguration"] == service["networkConfiguration"]
    assert request["overrides"] == {
        "containerOverrides": [{"name": "app", "command": ["python", "manage.py", "migrate"]}]
    }
    assert (request["count"], request["launchType"], request["startedBy"]) == (
        1, "FARGATE", "shipyard-run"
    )
    printed = cli.printed
    assert printed.index("migrating") < printed.index("done")
    assert "python manage.py migrate exited with 0" in printed


def test_the_exit_code_is_the_commands(cli, world, staging):
    world.one_off_task(GROUP, ["relation users already exists"], exit_code=3)
    assert cli("run", "staging", "--", "false") == 3
    assert "relation users already exists" in cli.printed


@pytest.mark.parametrize(
    ("reason", "advice"),
    [
        ("CannotPullContainerError: pull image manifest has been retried 5 time(s)",
         "the image could not be pulled"),
        ("ResourceInitializationError: unable to pull secrets or registry auth",
         "check that each one in shipyard:secrets exists"),
    ],
)  # fmt: skip
def test_a_task_that_never_starts_says_why(cli, world, staging, reason, advice, capsys):
    world.one_off_task(GROUP, [], exit_code=None, reason=reason, stops_after=1)
    assert cli("run", "staging", "--", "true") == 1
    said = capsys.readouterr().err
    assert "true never ran in staging: the task stopped before its command did" in said
    assert reason in said and advice in said


def test_ctrl_c_stops_the_task(cli, world, staging):
    world.one_off_task(GROUP, ["working"], exit_code=0, stops_after=100)
    world.raise_during("ecs", "DescribeTasks", KeyboardInterrupt(), after=2)
    assert cli("run", "staging", "--", "sleep", "600") == INTERRUPTED
    (arn,) = run_task_requests(world)
    task = world.client("ecs").describe_tasks(cluster="shipyard-sample-staging", tasks=[arn])
    assert task["tasks"][0]["desiredStatus"] == "STOPPED"


def test_a_command_past_its_timeout_is_stopped(cli, world, staging, capsys):
    world.one_off_task(GROUP, ["still going"], exit_code=0, stops_after=10_000)
    assert cli("run", "staging", "--timeout", "1", "--", "sleep", "600") == 124
    assert "sleep 600 still ran after 1 s (--timeout)" in capsys.readouterr().err
    (arn,) = run_task_requests(world)
    task = world.client("ecs").describe_tasks(cluster="shipyard-sample-staging", tasks=[arn])
    assert task["tasks"][0]["desiredStatus"] == "STOPPED"


def test_another_image_runs_in_a_revision_of_its_own_which_is_removed_after(cli, world, staging):
    digest = world.push_image("v2")
    requests = world.one_off_task(GROUP, ["ok"], exit_code=0)
    assert cli("run", "staging", "--image", digest, "--", "true") == 0
    (request,) = requests
    ecs = world.client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=request["taskDefinition"])
    definition = definition["taskDefinition"]
    assert definition["family"] == "shipyard-sample-staging_run"
    assert definition["containerDefinitions"][0]["image"] == f"{staging['repositoryUrl']}@{digest}"
    assert definition["status"] == "INACTIVE"


def test_bad_usage_is_refused_before_anything_runs(cli, world, staging, capsys):
    assert cli("run", "staging") == USAGE
    assert "no command to run; put it after --" in capsys.readouterr().err
    assert cli("run", "staging", "--image", "latest", "--", "true") == USAGE
    assert cli("run", "staging", "--image", "sha256:" + "a" * 64, "--", "true") == 1
    assert "is not in ECR repository" in capsys.readouterr().err
    assert run_task_requests(world) == []


# ---- EC2: through SSM Run Command ------------------------------------------------------

QA_GROUP = "/shipyard/shipyard-sample-qa"


@pytest.fixture
def qa(released_qa) -> dict:
    return released_qa


def serving(world: World) -> list[str]:
    group = world.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=["shipyard-sample-qa"]
    )["AutoScalingGroups"][0]
    return sorted(i["InstanceId"] for i in group["Instances"] if i["LifecycleState"] == "InService")


def test_on_ec2_run_command_needs_the_ssm_agent(cli, world, stacks, qa, capsys):
    stacks.set_config("qa", "shipyard:sessionManager", "false")
    assert cli("run", "qa", "--", "true") == 1
    assert "set shipyard:sessionManager: true" in capsys.readouterr().err


def test_on_ec2_the_services_container_runs_once_more_on_a_serving_instance(cli, world, qa):
    requests = world.one_off_command(
        QA_GROUP, ["migrating", "done"], ["Pending", "InProgress", "Success"]
    )
    assert cli("run", "qa", "--", "python", "manage.py", "migrate") == 0
    (request,) = requests
    assert request["InstanceIds"] == serving(world)[:1]
    assert request["DocumentName"] == "AWS-RunShellScript"
    (script,) = request["Parameters"]["commands"]
    # The running container's image, variables and secrets, through a pipe; the command
    # quoted; hardened as the service is; its output in the service's log group.
    assert "served=$(docker inspect --format '{{.Config.Image}}' app" in script
    assert 'image="$served"' in script
    # The service's variables and secrets, less the served image's own ENV lines.
    assert "docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' app" in script
    assert '| { grep -vxF -f "$image_env" || true; }' in script
    assert "docker run --rm --name shipyard-run-" in script and "--env-file /dev/stdin" in script
    # Stopped short of SSM's own limit, which would kill the script and leave it running.
    assert "timeout --signal=TERM --kill-after=10 3585" in script
    assert "--cap-drop ALL --security-opt no-new-privileges --pids-limit 512" in script
    assert "--log-opt awslogs-group=/shipyard/shipyard-sample-qa" in script
    assert script.rstrip().endswith('"$image" python manage.py migrate')
    assert cli.printed.index("migrating") < cli.printed.index("done")


def test_on_ec2_the_exit_code_is_the_commands_and_another_image_is_pulled(cli, world, qa):
    digest = world.push_image("v2")
    requests = world.one_off_command(
        QA_GROUP, ["no such table"], ["InProgress", "Failed"], response_code=2
    )
    assert cli("run", "qa", "--image", digest, "--", "sh", "-c", "exit 2") == 2
    (script,) = requests[0]["Parameters"]["commands"]
    assert f"image={qa['repositoryUrl']}@{digest}" in script
    assert script.rstrip().endswith("\"$image\" sh -c 'exit 2'")
    assert "no such table" in cli.printed


def test_on_ec2_ctrl_c_cancels_the_command(cli, world, qa):
    requests = world.one_off_command(QA_GROUP, ["working"], ["InProgress"])
    world.raise_during("ssm", "GetCommandInvocation", KeyboardInterrupt(), after=1)
    assert cli("run", "qa", "--", "sleep", "600") == INTERRUPTED
    _script, removal = requests
    assert removal["Parameters"]["commands"][0].startswith("docker rm --force shipyard-run-")
    command = next(
        c for c in world.client("ssm").list_commands()["Commands"]
        if c["Comment"] == "shipyard-run: sleep 600"
    )
    assert world.cancelled_commands == [{"CommandId": command["CommandId"]}]


def test_on_ec2_a_command_past_its_timeout_is_cancelled(cli, world, qa, capsys):
    requests = world.one_off_command(QA_GROUP, ["still going"], ["InProgress"])
    assert cli("run", "qa", "--timeout", "1", "--", "sleep", "600") == 124
    assert requests[0]["Parameters"]["executionTimeout"] == ["1"]
    assert len(world.cancelled_commands) == 1
    assert "still ran after 1 s (--timeout)" in capsys.readouterr().err


def test_on_ec2_ctrl_c_removes_the_container_even_where_cancelling_is_denied(
    cli, world, qa, capsys
):
    # A deploy role may send commands to its own instances but not cancel them.
    requests = world.one_off_command(QA_GROUP, ["working"], ["InProgress"])
    denied = []

    def deny(**_: object) -> None:
        denied.append(True)
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                          "CancelCommand")  # fmt: skip

    world.client("ssm").meta.events.register_first("before-call.ssm.CancelCommand", deny)
    world.raise_during("ssm", "GetCommandInvocation", KeyboardInterrupt(), after=1)
    assert cli("run", "qa", "--", "sleep", "600") == INTERRUPTED
    assert denied == [True]
    _script, removal = requests
    assert removal["Parameters"]["commands"][0].startswith("docker rm --force shipyard-run-")
    assert "interrupted; container shipyard-run-" in capsys.readouterr().err
