"""`shipyard exec`: a shell in a running container, handed to the Session Manager plugin as
the AWS CLI hands it (a stand-in plugin on PATH records what it is given)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from devtools.aws_world import World

TOKEN = "session-token-5f3a"
SESSION = {"sessionId": "s-1", "streamUrl": "wss://ssmmessages.example/s-1", "tokenValue": TOKEN}


@pytest.fixture
def plugin(tmp_path, monkeypatch) -> Path:
    """A session-manager-plugin that writes its arguments to a file and exits 7."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "plugin-args.json"
    script = bin_dir / "session-manager-plugin"
    script.write_text(
        "#!/usr/bin/env python3\nimport json, os, sys\n"
        "given = {'argv': sys.argv[1:], 'session': os.environ.get(sys.argv[1], '')}\n"
        f"open({str(record)!r}, 'w').write(json.dumps(given))\nsys.exit(7)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def answer(world: World, service: str, operation: str, result: dict[str, Any]) -> list[dict]:
    """moto has neither ExecuteCommand nor StartSession: answer them, recording the requests."""
    requests: list[dict] = []
    client = world.client(service)
    client.meta.events.register(
        f"provide-client-params.{service}.{operation}", lambda params, **_: requests.append(params)
    )
    client.meta.events.register(
        f"before-call.{service}.{operation}",
        lambda **_: (AWSResponse(None, 200, {}, None), result),
    )
    return requests


@pytest.fixture
def staging(runnable_staging) -> dict:
    return runnable_staging


def exec_on(world: World) -> str:
    """The service with ECS Exec on, and one task running; the task's ID."""
    ecs = world.client("ecs")
    ecs.update_service(
        cluster="shipyard-sample-staging", service="shipyard-sample-staging",
        enableExecuteCommand=True,
    )  # fmt: skip
    service = ecs.describe_services(
        cluster="shipyard-sample-staging", services=["shipyard-sample-staging"]
    )["services"][0]
    arn = ecs.run_task(
        cluster="shipyard-sample-staging", taskDefinition=service["taskDefinition"],
        launchType="FARGATE", networkConfiguration=service["networkConfiguration"],
        startedBy="ecs-svc/1",
    )["tasks"][0]["taskArn"]  # fmt: skip
    task_id = arn.rsplit("/", 1)[-1]

    def listed(parsed: dict, **_: Any) -> None:
        parsed["taskArns"] = [arn]

    def runtime_ids(parsed: dict, **_: Any) -> None:
        for task in parsed.get("tasks", []):
            for container in task.get("containers", []):
                container["runtimeId"] = f"{task_id}-1234"

    ecs.meta.events.register("after-call.ecs.ListTasks", listed)
    ecs.meta.events.register("after-call.ecs.DescribeTasks", runtime_ids)
    return task_id


def test_without_the_plugin_it_says_how_to_install_it_before_calling_aws(
    cli, world, staging, monkeypatch, tmp_path, capsys
):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert cli("exec", "staging") == 1
    said = capsys.readouterr().err
    assert "session-manager-plugin is not on PATH; install AWS's Session Manager plugin" in said


def test_with_exec_off_it_says_which_setting_turns_it_on(cli, world, staging, plugin, capsys):
    assert cli("exec", "staging") == 1
    assert "ECS Exec is off in staging; set shipyard:exec: true" in capsys.readouterr().err
    assert not plugin.exists()


def test_a_shell_in_a_running_task_is_handed_to_the_plugin(cli, world, staging, plugin):
    task_id = exec_on(world)
    requests = answer(world, "ecs", "ExecuteCommand", {"session": SESSION})
    assert cli("exec", "staging") == 7  # the plugin's exit code
    assert requests == [{
        "cluster": "shipyard-sample-staging", "task": requests[0]["task"], "container": "app",
        "command": "/bin/sh", "interactive": True,
    }]  # fmt: skip
    assert requests[0]["task"].endswith(task_id)
    given = json.loads(plugin.read_text())
    session, region, action, profile, target, endpoint = given["argv"]
    # The token reaches the plugin through its environment, never its arguments.
    assert session == "AWS_SSM_START_SESSION_RESPONSE"
    assert json.loads(given["session"]) == SESSION
    assert not any(TOKEN in argument for argument in given["argv"])
    assert (region, action, profile) == ("us-east-1", "StartSession", "")
    assert json.loads(target) == {
        "Target": f"ecs:shipyard-sample-staging_{task_id}_{task_id}-1234"
    }
    assert endpoint == "https://ecs.us-east-1.amazonaws.com"


def test_one_command_in_a_named_task(cli, world, staging, plugin, capsys):
    task_id = exec_on(world)
    requests = answer(world, "ecs", "ExecuteCommand", {"session": SESSION})
    assert cli("exec", "staging", "--task", task_id, "--", "python", "-c", "print(1)") == 7
    assert requests[0]["command"] == "python -c 'print(1)'"
    assert cli("exec", "staging", "--task", "nope") == 1
    assert f"staging runs no task nope; its running tasks: {task_id}" in capsys.readouterr().err


@pytest.fixture
def qa(released_qa) -> dict:
    return released_qa


def test_on_ec2_a_shell_in_the_service_container_over_session_manager(
    cli, world, stacks, qa, plugin, capsys
):
    stacks.set_config("qa", "shipyard:sessionManager", "false")
    assert cli("exec", "qa") == 1
    assert "Session Manager is off in qa; set shipyard:sessionManager: true" in (
        capsys.readouterr().err
    )
    stacks.set_config("qa", "shipyard:sessionManager", "true")
    requests = answer(world, "ssm", "StartSession", {
        "SessionId": "s-2", "TokenValue": "t", "StreamUrl": "wss://ssmmessages.example/s-2",
    })  # fmt: skip
    assert cli("exec", "qa", "--", "ls", "/srv") == 7
    (request,) = requests
    assert request["DocumentName"] == "AWS-StartInteractiveCommand"
    assert request["Parameters"] == {"command": ["sudo docker exec -it app ls /srv"]}
    instance = request["Target"]
    assert instance.startswith("i-")
    _, _, _, _, target, endpoint = json.loads(plugin.read_text())["argv"]
    assert json.loads(target)["Target"] == instance
    assert endpoint == "https://ssm.us-east-1.amazonaws.com"
