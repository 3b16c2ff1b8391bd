"""The pre-deploy command (`preDeployCommand`): a migration, run by the new image once with
the service's variables, secrets, network and roles, inside `pulumi up` and before the
service moves to the new image. ECS: a one-off task of the new task definition. EC2: the
service's container once more, in the new image, on an instance that serves the previous
release, through SSM Run Command (as `shipyard run` does; the group's rollout waits for it).

The service depends on this step, so a command that exits non-zero fails the update before
the service changes: the previous release keeps serving, and the release record (which waits
for the rollout) keeps naming it. Only a new image is a change to run it for; an update that
changes anything else runs nothing, and a retry of a failed one runs it again. An image it
has already run for (a rollback to it, by `shipyard rollback` or a pin) runs nothing: that
release's migrations are in, and an older migration tool may refuse a newer schema.

Like the rollout step of EC2 (instance_refresh.py), the provider lives in the installed
package, where Pulumi's dynamic provider host finds it by module name.
"""

from __future__ import annotations

import shlex
import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from shipyard.aws import Aws, connect, container_ending
from shipyard.config.container_contract import one_off_removal, one_off_script
from shipyard.errors import UserError

STARTED_BY = "shipyard-pre-deploy"
# The images the command has run for, newest last, kept in the step's state.
MIGRATED = "migratedImages"
KEPT_IMAGES = 50
# How long the command may run by default (preDeployTimeout), and how many of its last lines
# a failure shows.
TIMEOUT_SECONDS = 600
POLL_SECONDS = 6
SHOWN_LINES = 20


def run_pre_deploy(aws: Aws, props: dict[str, Any]) -> int:
    if props.get("target") == "ec2":
        return run_pre_deploy_on_instance(aws, props)
    return run_pre_deploy_as_task(aws, props)


def run_pre_deploy_on_instance(aws: Aws, props: dict[str, Any]) -> int:
    """Run the command in the new image on a serving instance and wait for it; 0, or raises
    UserError with its exit code and last lines."""
    command = [str(word) for word in props["command"]]
    shown = shlex.join(command)
    instance = aws.serving_instance(props["group"])
    stream = f"pre-deploy/{uuid.uuid4().hex[:12]}"
    name = f"{STARTED_BY}-{stream.rsplit('/', 1)[-1]}"
    timeout, poll = _limits(props)
    script = one_off_script(
        command, props["image"], props["region"], props["logGroup"], stream, name, timeout
    )
    command_id = aws.send_shell_script(instance, script, timeout, f"{STARTED_BY}: {shown}")
    if not aws.wait_command(command_id, instance, timeout, poll):
        # The script stops the container itself short of the limit; this is for a script
        # that did not get that far. SSM ends the script at the limit.
        aws.send_shell_script(instance, one_off_removal(name), 60, f"{STARTED_BY}: stop {name}")
        raise UserError(
            f"preDeployCommand {shown} still ran after {timeout:g} s; it was stopped, and "
            "the group stays on the previous release"
        )
    invocation = aws.command_invocation(command_id, instance)
    code = int(invocation.get("ResponseCode", -1))
    if invocation.get("Status") == "Success" and code == 0:
        return 0
    lines = aws.last_log_lines(props["logGroup"], stream, SHOWN_LINES)
    said = (invocation.get("StandardErrorContent") or "").strip().splitlines()[-SHOWN_LINES:]
    raise UserError(
        f"preDeployCommand {shown} exited with {code} ({invocation.get('Status')}) in the new "
        f"image {props['image']} on {instance}; the group stays on the previous release. "
        f"Its last lines:\n{_indented([*lines, *said])}"
    )


def run_pre_deploy_as_task(aws: Aws, props: dict[str, Any]) -> int:
    """Run the command in the new task definition and wait for it; its exit code when 0.
    Raises UserError with its exit code and last lines, or why it never ran."""
    cluster, command = props["cluster"], [str(word) for word in props["command"]]
    shown = shlex.join(command)
    task = aws.run_task(
        cluster=cluster,
        taskDefinition=props["taskDefinition"],
        count=1,
        launchType="FARGATE",
        platformVersion="LATEST",
        networkConfiguration={"awsvpcConfiguration": {
            "subnets": list(props["subnets"]),
            "securityGroups": list(props["securityGroups"]),
            "assignPublicIp": "ENABLED" if props.get("assignPublicIp") else "DISABLED",
        }},
        overrides={"containerOverrides": [{"name": props["container"], "command": command}]},
        startedBy=STARTED_BY,
    )  # fmt: skip
    arn = task["taskArn"]
    timeout, poll = _limits(props)
    if not aws.wait_task_stopped(cluster, arn, timeout, poll):
        aws.stop_task(cluster, arn, f"{STARTED_BY}: still running after {timeout:g} s")
        raise UserError(
            f"preDeployCommand {shown} still ran after {timeout:g} s; it was stopped, and the "
            "service stays on the previous release"
        )
    code, reason = container_ending(aws.task(cluster, arn), props["container"])
    if code is None:
        raise UserError(
            f"preDeployCommand {shown} never ran in the new image ({reason}); the service "
            "stays on the previous release"
        )
    if code != 0:
        task_id = arn.rsplit("/", 1)[-1]
        stream = f"{props['streamPrefix']}/{props['container']}/{task_id}"
        lines = aws.last_log_lines(props["logGroup"], stream, SHOWN_LINES)
        raise UserError(
            f"preDeployCommand {shown} exited with {code} in the new image {props['image']}; "
            f"the service stays on the previous release. Its last lines (task {task_id}):\n"
            f"{_indented(lines)}"
        )
    return 0


def _limits(props: dict[str, Any]) -> tuple[float, float]:
    """How long the command may run, and how often to look at it, in seconds."""
    timeout = float(props.get("timeoutSeconds") or TIMEOUT_SECONDS)
    return timeout, float(props.get("pollSeconds") or POLL_SECONDS)


def _indented(lines: list[str]) -> str:
    return "\n".join(f"  {line}" for line in lines) or "  (no output)"


class PreDeployCommandProvider(ResourceProvider):
    """Runs the command on create and on a new image; nothing to delete."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._run(props)
        owner = props.get("cluster") or props.get("group")
        return CreateResult(id_=f"{owner}-pre-deploy", outs={**props, MIGRATED: [props["image"]]})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(
            changes=olds.get("image") != news.get("image"), replaces=[],
            delete_before_replace=False,
        )  # fmt: skip

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        migrated = list(olds.get(MIGRATED) or [olds.get("image")])
        if news["image"] not in migrated:
            self._run(news)
        kept = [image for image in migrated if image != news["image"]] + [news["image"]]
        return UpdateResult(outs={**news, MIGRATED: kept[-KEPT_IMAGES:]})

    @staticmethod
    def _run(props: dict[str, Any]) -> None:
        try:
            run_pre_deploy(connect(props["region"], props.get("profile") or ""), props)
        except UserError as error:
            # The engine shows the exception's message as the update's error.
            raise RuntimeError(str(error)) from None


class PreDeployCommand(pulumi.dynamic.Resource, module="shipyard", name="PreDeployCommand"):
    """The new image's pre-deploy command, run once per image before the service moves."""

    def __init__(
        self, name: str, props: dict[str, pulumi.Input[Any]], opts: pulumi.ResourceOptions
    ) -> None:
        super().__init__(PreDeployCommandProvider(), name, props, opts)
