"""`shipyard exec ENV [--task ID] [-- COMMAND...]`: a shell (or one command) in a running
container of the environment, through Session Manager: ECS Exec on ECS (the stack's `exec`
setting), `docker exec` in the service's container over a Session Manager session on EC2
(`sessionManager`). Both need AWS's Session Manager plugin, as the AWS CLI does."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
from collections.abc import Sequence
from typing import Any

from shipyard.aws import Aws, task_container
from shipyard.cli.runtime import Runtime, require_ssm_agent
from shipyard.config.container_contract import CONTAINER_NAME
from shipyard.errors import UserError

PLUGIN = "session-manager-plugin"
INSTALL_PLUGIN = (
    "install AWS's Session Manager plugin (https://docs.aws.amazon.com/systems-manager/latest/"
    "userguide/session-manager-working-with-install-plugin.html; on Debian and Ubuntu its "
    ".deb, on macOS `brew install --cask session-manager-plugin`) and run this again"
)
SHELL = "/bin/sh"
# Where the plugin reads the session from when its first argument names it (the AWS CLI's way).
SESSION_VARIABLE = "AWS_SSM_START_SESSION_RESPONSE"
INTERACTIVE_COMMAND = "AWS-StartInteractiveCommand"


def plugin() -> str:
    found = shutil.which(PLUGIN)
    if not found:
        raise UserError(f"{PLUGIN} is not on PATH; {INSTALL_PLUGIN}")
    return found


def exec_in(rt: Runtime, env: str, task: str | None, words: Sequence[str]) -> int:
    rt.check_environment(env)
    program = plugin()  # before anything is asked of AWS
    outputs = rt.deployed_outputs(env)
    aws = rt.aws(env)
    region = aws.session.region_name or ""
    if outputs.get("target") == "ec2":
        return _on_instance(rt, aws, env, outputs, task, words, program, region)
    return _in_task(aws, env, outputs, task, words, program, region)


def _in_task(
    aws: Aws, env: str, outputs: dict[str, Any], task: str | None, words: Sequence[str],
    program: str, region: str,
) -> int:  # fmt: skip
    cluster, service_name = outputs["clusterName"], outputs["serviceName"]
    service = aws.ecs_service(cluster, service_name)
    if not service.get("enableExecuteCommand"):
        raise UserError(
            f"ECS Exec is off in {env}; set shipyard:exec: true in stacks/Pulumi.{env}.yaml "
            f"and deploy (`shipyard deploy {env}`), then run this again"
        )
    running = aws.running_tasks(cluster, service_name)
    if task is None:
        if not running:
            raise UserError(f"{env} runs no task to open a shell in")
        arn = running[0]
    else:
        arn = next((a for a in running if a.rsplit("/", 1)[-1] == task or a == task), "")
        if not arn:
            known = ", ".join(a.rsplit("/", 1)[-1] for a in running) or "none"
            raise UserError(f"{env} runs no task {task}; its running tasks: {known}")
    container = task_container(aws.task(cluster, arn), CONTAINER_NAME)
    session = aws.execute_command(
        cluster, arn, CONTAINER_NAME, shlex.join(words) if words else SHELL
    )["session"]
    target = f"ecs:{cluster}_{arn.rsplit('/', 1)[-1]}_{container.get('runtimeId', '')}"
    endpoint = f"https://ecs.{region}.amazonaws.com"
    return _connect(program, session, region, {"Target": target}, endpoint)


def _on_instance(
    rt: Runtime, aws: Aws, env: str, outputs: dict[str, Any], instance: str | None,
    words: Sequence[str], program: str, region: str,
) -> int:  # fmt: skip
    require_ssm_agent(rt, env, "a shell on EC2")
    target = instance or aws.serving_instance(outputs["autoScalingGroupName"])
    # A shell in the service's container, not on the host.
    inside = shlex.join(["sudo", "docker", "exec", "-it", CONTAINER_NAME, *(words or [SHELL])])
    parameters = {"command": [inside]}
    session = aws.start_session(target, INTERACTIVE_COMMAND, parameters)
    request = {"Target": target, "DocumentName": INTERACTIVE_COMMAND, "Parameters": parameters}
    return _connect(program, session, region, request, f"https://ssm.{region}.amazonaws.com")


def _connect(
    program: str, session: dict[str, Any], region: str, request: dict[str, Any], endpoint: str
) -> int:
    """Hand the session to the plugin as the AWS CLI does: its token in the plugin's
    environment, never its arguments (which any local user can list), and the terminal's
    interrupts left to the remote shell while it runs. The plugin's exit code."""
    environment = {**os.environ, SESSION_VARIABLE: json.dumps(session)}
    arguments = [program, SESSION_VARIABLE, region, "StartSession", "", json.dumps(request),
                 endpoint]  # fmt: skip
    ignored = (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP)
    previous = [signal.signal(number, signal.SIG_IGN) for number in ignored]
    try:
        return subprocess.run(arguments, env=environment, check=False).returncode
    finally:
        for number, handler in zip(ignored, previous, strict=True):
            signal.signal(number, handler)
