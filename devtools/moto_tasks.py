"""One-off ECS tasks for the local cloud's account: moto starts a task but runs no
container, so a command given as an override (the pre-deploy command under the real
engine) would never end the way its program does. Here it ends as a stand-in runtime would
end it: `sh -c 'exit N'` with N, anything else with 0, and one line in the container's log
stream saying what ran. And Fargate task definitions, sized by the task alone (as the
program makes them), start: moto would add up the containers' sizes. Installed where moto
is served (devtools/aws_world.moto_server); the CLI's tests script their tasks on their own
clients (World.one_off_task) and never reach this.
"""

from __future__ import annotations

import re
import time
from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend
from moto.logs.models import logs_backends

EXIT = re.compile(r"(?:^|[;&|\s])exit\s+(\d+)\s*$")


def exit_code(command: list[str]) -> int:
    """What a stand-in runtime ends COMMAND with: `sh -c '... exit N'` gives N."""
    if len(command) == 3 and command[:2] == ["sh", "-c"] and (found := EXIT.search(command[2])):
        return int(found.group(1))
    return 0


def _command(overrides: dict[str, Any] | None) -> list[str]:
    for container in (overrides or {}).get("containerOverrides") or []:
        if container.get("command"):
            return [str(word) for word in container["command"]]
    return []


def _log(backend: EC2ContainerServiceBackend, task: Any, command: list[str], code: int) -> None:
    definition = backend.describe_task_definition(task.task_definition_arn)
    container: dict[str, Any] = definition.container_definitions[0]  # type: ignore[assignment]
    options = (container.get("logConfiguration") or {}).get("options") or {}
    group = options.get("awslogs-group")
    if not group:
        return
    stream = f"{options.get('awslogs-stream-prefix', '')}/{container['name']}/{task.id}"
    logs = logs_backends[backend.account_id][backend.region_name]
    # The local cloud keeps log groups to itself (not in moto): the runtime's needs one.
    if group not in logs.groups:
        logs.create_log_group(group, {})
    logs.create_log_stream(group, stream)
    logs.put_log_events(group, stream, [{
        "timestamp": int(time.time() * 1000), "message": f"ran {command!r}, exit {code}",
    }])  # fmt: skip


def install() -> None:
    if getattr(EC2ContainerServiceBackend, "shipyard_one_off_tasks", False):
        return  # installed by an earlier server in this process
    run_task = EC2ContainerServiceBackend.run_task
    requirements: Any = EC2ContainerServiceBackend._calculate_task_resource_requirements

    def run_one_off(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Any:
        tasks = run_task(self, *args, **kwargs)
        overrides = kwargs.get("overrides", args[3] if len(args) > 3 else None)
        command = _command(overrides)
        if command:
            code = exit_code(command)
            for task in tasks:
                for container in task.containers:
                    container.exitCode = code
                _log(self, task, command, code)
        return tasks

    def sized_by_the_task(task_definition: Any) -> dict[str, Any]:
        unsized = [c for c in task_definition.container_definitions if "memory" not in c]
        for container in unsized:  # for the sum only: the definition stays as registered
            container["memory"] = int(task_definition.memory or 0)
        try:
            found: dict[str, Any] = requirements(task_definition)
        finally:
            for container in unsized:
                del container["memory"]
        return found

    setattr(EC2ContainerServiceBackend, "run_task", run_one_off)  # noqa: B010
    setattr(EC2ContainerServiceBackend, "_calculate_task_resource_requirements",  # noqa: B010
            staticmethod(sized_by_the_task))
    setattr(EC2ContainerServiceBackend, "shipyard_one_off_tasks", True)  # noqa: B010
