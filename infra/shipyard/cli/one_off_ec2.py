"""`shipyard run` on EC2: the service's container run once more, on one of the group's
instances, through SSM Run Command (no SSH, no open port), by the script in
config/container_contract.py: the service's variables and secrets through a pipe (never a
file or an argument), the instance's network, security group and role, the same hardening.
Its output goes to the service's log group, from where it is printed as it arrives."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from shipyard.aws import Aws
from shipyard.cli.one_off import STARTED_BY, TIMED_OUT, Command, Lines, follow
from shipyard.cli.runtime import Runtime, require_ssm_agent
from shipyard.config.container_contract import one_off_removal, one_off_script
from shipyard.errors import UserError

WAITING = ("Pending", "InProgress", "Delayed")


def run_on_instance(rt: Runtime, aws: Aws, outputs: dict[str, Any], command: Command) -> int:
    require_ssm_agent(rt, command.env, "Run Command")
    group_name = outputs["autoScalingGroupName"]
    instance = aws.serving_instance(group_name)
    run_id = uuid.uuid4().hex[:12]
    stream = f"run/{run_id}"
    image = f"{outputs['repositoryUrl']}@{command.image}" if command.image else ""
    region = aws.session.region_name or ""
    name = f"{STARTED_BY}-{run_id}"
    script = one_off_script(
        command.words, image, region, outputs["logGroupName"], stream, name, command.timeout
    )
    command_id = aws.send_shell_script(
        instance, script, command.timeout, f"{STARTED_BY}: {command.shown}"
    )
    rt.console.print(
        f"running {command.shown} in {command.env} on instance {instance} "
        f"(SSM command {command_id})",
        markup=False, highlight=False,
    )  # fmt: skip

    def ended() -> dict[str, Any] | None:
        invocation = aws.command_invocation(command_id, instance)
        status = invocation.get("Status", "Pending")
        return None if status in WAITING or status == "Cancelling" else invocation

    def stop(_why: str) -> str:
        # SSM kills a cancelled script outright (no trap runs): the container is removed by
        # its name, by a command of its own, even where cancelling is not allowed (a deploy
        # role may not; SSM then ends the script at its own limit).
        with contextlib.suppress(UserError):
            aws.cancel_command(command_id)
        aws.send_shell_script(instance, one_off_removal(name), 60, f"{STARTED_BY}: stop {name}")
        return f"container {name} is removed (SSM command {command_id})"

    lines = Lines(outputs["logGroupName"], stream)
    return _outcome(rt, follow(rt, aws, command, lines, ended, stop), command)


def _outcome(rt: Runtime, invocation: dict[str, Any], command: Command) -> int:
    status = invocation.get("Status")
    code = int(invocation.get("ResponseCode", -1))
    said = (invocation.get("StandardErrorContent") or "").strip()
    if status == "TimedOut":
        raise UserError(f"{command.shown} timed out on the instance", exit_code=TIMED_OUT)
    if status in ("Success", "Failed") and code >= 0:
        if said and code:
            rt.console.print(said[-2000:], highlight=False, markup=False)
        rt.console.print(f"{command.shown} exited with {code}", markup=False, highlight=False)
        return code
    raise UserError(
        f"{command.shown} did not run in {command.env}: SSM says {status}"
        + (f" ({said[-500:]})" if said else "")
    )
