"""`shipyard run ENV -- COMMAND...`: one command, once, in the image the environment runs
(or another of its repository's), with its variables, secrets, network, security group and
roles. Its log lines are printed as they arrive, and its exit code is the command's.

ECS: RunTask with the service's own task definition and network configuration, the
command as a container override. EC2: the same container on one of the group's instances,
through SSM Run Command (no SSH), with the running service container's environment.
"""

from __future__ import annotations

import contextlib
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.aws import Aws, container_ending
from shipyard.cli.model import DIGEST
from shipyard.cli.operations import repository_name
from shipyard.cli.runtime import Runtime
from shipyard.errors import INTERRUPTED, USAGE, UserError

STARTED_BY = "shipyard-run"
DEFAULT_TIMEOUT = 3600.0
TIMED_OUT = 124  # as timeout(1) says it
# Log lines are wanted as they come: poll more often than the health waits do.
LOG_POLL_SECONDS = 2.0
# What a task that never ran its command says, and what to do about it.
START_FAILURES = {
    "CannotPullContainerError": "the image could not be pulled: check that it is in the "
    "repository and that the execution role and the network reach ECR",
    "ResourceInitializationError": "ECS could not prepare the task, often a secret or "
    "parameter it could not read: check that each one in shipyard:secrets exists",
}


@dataclass(frozen=True)
class Command:
    env: str
    words: tuple[str, ...]
    image: str | None
    timeout: float

    @property
    def shown(self) -> str:
        return shlex.join(self.words)


def run(
    rt: Runtime, env: str, words: Sequence[str], image: str | None, timeout: float | None
) -> int:
    if not words:
        raise UserError(
            "no command to run; put it after --: shipyard run ENV -- COMMAND...", exit_code=USAGE
        )
    if image is not None and not DIGEST.fullmatch(image):
        raise UserError(
            f"--image {image!r} is not an image digest (sha256: and 64 hex digits)",
            exit_code=USAGE,
        )
    command = Command(env, tuple(words), image, timeout or DEFAULT_TIMEOUT)
    rt.check_environment(env)
    outputs = rt.deployed_outputs(env)
    aws = rt.aws(env)
    if image is not None and aws.image(repository_name(outputs), image) is None:
        raise UserError(
            f"{image[:19]} is not in ECR repository {repository_name(outputs)}, which {env} "
            f"deploys from; nothing was run. `shipyard releases {env}` lists what it ran"
        )
    if outputs.get("target") == "ec2":
        from shipyard.cli.one_off_ec2 import run_on_instance

        return run_on_instance(rt, aws, outputs, command)
    return run_on_ecs(rt, aws, outputs, command)


def run_on_ecs(rt: Runtime, aws: Aws, outputs: dict[str, Any], command: Command) -> int:
    cluster = outputs["clusterName"]
    service = aws.ecs_service(cluster, outputs["serviceName"])
    definition = aws.task_definition(service["taskDefinition"])
    # shipyard's task definitions hold one container, the service's.
    container = definition["containerDefinitions"][0]
    registered = None
    if command.image is not None:
        # RunTask cannot override the image: a revision of a family of its own, for this run.
        image = f"{outputs['repositoryUrl']}@{command.image}"
        registered = aws.register_task_definition({
            **definition,
            # An underscore: no environment's own family (a stack name has none) is this.
            "family": f"{definition['family']}_run",
            "containerDefinitions": [{**container, "image": image}],
        })  # fmt: skip
    try:
        request: dict[str, Any] = {
            "cluster": cluster,
            "taskDefinition": registered or service["taskDefinition"],
            "count": 1,
            "networkConfiguration": service["networkConfiguration"],
            "overrides": {
                "containerOverrides": [{"name": container["name"], "command": list(command.words)}]
            },
            "startedBy": STARTED_BY,
            "propagateTags": "TASK_DEFINITION",
        }
        if service.get("capacityProviderStrategy"):
            request["capacityProviderStrategy"] = service["capacityProviderStrategy"]
        else:
            request["launchType"] = service.get("launchType") or "FARGATE"
        if service.get("platformVersion"):
            request["platformVersion"] = service["platformVersion"]
        task = aws.run_task(**request)
        return follow_task(rt, aws, cluster, task, container, command)
    finally:
        if registered is not None:
            aws.deregister_task_definition(registered)


def follow_task(
    rt: Runtime,
    aws: Aws,
    cluster: str,
    task: dict[str, Any],
    container: dict[str, Any],
    command: Command,
) -> int:
    """Print the task's log lines until it stops; its command's exit code."""
    arn = task["taskArn"]
    task_id = arn.rsplit("/", 1)[-1]
    options = (container.get("logConfiguration") or {}).get("options") or {}
    group = options.get("awslogs-group", "")
    stream = f"{options.get('awslogs-stream-prefix', '')}/{container['name']}/{task_id}"
    rt.console.print(
        f"running {command.shown} in {command.env} as ECS task {task_id}",
        markup=False, highlight=False,
    )  # fmt: skip

    def ended() -> dict[str, Any] | None:
        current = aws.task(cluster, arn)
        return current if current.get("lastStatus") == "STOPPED" else None

    def stop(why: str) -> str:
        aws.stop_task(cluster, arn, f"{STARTED_BY}: {why}")
        return f"task {task_id} is stopping"

    stopped = follow(rt, aws, command, Lines(group, stream), ended, stop)
    return _outcome(rt, stopped, container["name"], command)


@dataclass(frozen=True)
class Lines:
    """Where the one-off command's output arrives: a CloudWatch log stream."""

    group: str
    stream: str


def follow(
    rt: Runtime,
    aws: Aws,
    command: Command,
    lines: Lines,
    ended: Callable[[], dict[str, Any] | None],
    stop: Callable[[str], str],
) -> dict[str, Any]:
    """Print the command's lines as they arrive until `ended` gives how it ended; on Ctrl-C
    or past --timeout, `stop` it (which says what it stopped) and fail accordingly."""
    deadline = time.monotonic() + command.timeout
    token: str | None = None
    stopped = False
    try:
        while True:
            outcome = ended()
            token = print_new_lines(rt, aws, lines.group, lines.stream, token)
            if outcome is not None:
                print_new_lines(rt, aws, lines.group, lines.stream, token)
                return outcome
            if time.monotonic() > deadline:
                stopping, stopped = stop("still running after --timeout"), True
                raise UserError(
                    f"{command.shown} still ran after {command.timeout:g} s (--timeout); "
                    f"{stopping}",
                    exit_code=TIMED_OUT,
                )
            time.sleep(min(rt.poll, LOG_POLL_SECONDS))
    except KeyboardInterrupt:
        stopping = stop("interrupted (Ctrl-C)")
        raise UserError(f"interrupted; {stopping}", exit_code=INTERRUPTED) from None
    except BaseException:
        # Nobody would watch it any more (expired credentials, a denied read...): stop it.
        if not stopped:
            with contextlib.suppress(Exception):
                stop("shipyard run stopped following it")
        raise


def print_new_lines(
    rt: Runtime, aws: Aws, group: str, stream: str, token: str | None
) -> str | None:
    if not group:
        return token
    while True:
        events, following = aws.stream_events(group, stream, token)
        for event in events:
            rt.console.out(event.get("message", ""), highlight=False)
        if not events or following == token:
            return following
        token = following


def _outcome(rt: Runtime, task: dict[str, Any], name: str, command: Command) -> int:
    code, reason = container_ending(task, name)
    if code is None:
        advice = next((said for error, said in START_FAILURES.items() if error in reason), "")
        raise UserError(
            f"{command.shown} never ran in {command.env}: the task stopped before its "
            f"command did ({reason})" + (f"; {advice}" if advice else "")
        )
    rt.console.print(f"{command.shown} exited with {code}", markup=False, highlight=False)
    return code
